package filter

import "testing"

const benchFilter = `userName sw "bjensen" and (emails[type eq "work" and value co "@example.com"] or meta.lastModified gt "2011-05-13T04:42:34Z") and not (active eq false)`

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchFilter, userOpt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSimple is the IdP lookup, parsed by internal/fastpath.
func BenchmarkParseSimple(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`userName eq "bjensen@example.com"`, userOpt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	f, err := Parse(benchFilter, userOpt)
	if err != nil {
		b.Fatal(err)
	}
	doc := userDoc()
	if !f.Match(doc) {
		b.Fatal("no match")
	}
	b.ReportAllocs()
	for b.Loop() {
		f.Match(doc)
	}
}

func BenchmarkMatchNoSchema(b *testing.B) {
	f, err := Parse(`userName eq "BJENSEN@example.com" or emails.value co "jensen.org"`)
	if err != nil {
		b.Fatal(err)
	}
	doc := userDoc()
	b.ReportAllocs()
	for b.Loop() {
		f.Match(doc)
	}
}
