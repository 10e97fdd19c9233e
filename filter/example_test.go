package filter_test

import (
	"errors"
	"fmt"

	"github.com/scimkit/scimkit/schema"

	"github.com/scimkit/scimkit/filter"
)

func Example() {
	users := filter.WithSchemas(schema.User(), schema.EnterpriseUser())

	f, err := filter.Parse(`userName sw "BJ" and emails[type eq "work"].value co "@example.com"`, users)
	if err != nil {
		panic(err)
	}
	doc := map[string]any{
		"userName": "bjensen",
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
		},
	}
	fmt.Println(f.Match(doc))
	fmt.Println(f)

	_, err = filter.Parse(`userName eq bjensen`, users)
	fmt.Println(errors.Is(err, filter.ErrInvalidFilter))
	fmt.Println(err)
	// Output:
	// true
	// userName sw "BJ" and emails[type eq "work" and value co "@example.com"]
	// true
	// invalid filter "userName eq bjensen": invalid compare value "bjensen": strings must be in double quotes (at offset 12)
}

func ExampleFilter_Equalities() {
	f, _ := filter.Parse(`USERNAME eq "alice" or userName eq "bob"`)
	attr, values, ok := f.Equalities()
	fmt.Println(attr, values, ok)
	// Output: userName [alice bob] true
}

func ExamplePath_SortValue() {
	p, _ := filter.ParsePath("emails.value")
	doc := map[string]any{"emails": []any{
		map[string]any{"value": "home@example.com"},
		map[string]any{"value": "work@example.com", "primary": true},
	}}
	fmt.Println(p.SortValue(doc))
	// Output: work@example.com
}
