package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) client(t *testing.T, cn string, uri string) tls.Certificate {
	t.Helper()
	return ca.issue(t, cn, func(c *x509.Certificate) {
		if uri != "" {
			u, err := url.Parse(uri)
			require.NoError(t, err)
			c.URIs = []*url.URL{u}
		}
	})
}

// issue signs a client certificate for cn, edited by edit (SANs).
func (ca *testCA) issue(t *testing.T, cn string, edit func(*x509.Certificate)) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mtlsServer serves mw(echo-the-principal) over TLS with clientAuth;
// get sends a GET presenting cert (none when nil) and returns the status,
// body and headers.
func mtlsServer(t *testing.T, ca *testCA, mw func(http.Handler) http.Handler, clientAuth tls.ClientAuthType) func(cert *tls.Certificate) (int, string, http.Header) {
	t.Helper()
	srv := httptest.NewUnstartedServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		_, _ = io.WriteString(w, p.Tenant+"|"+p.CredentialID)
	})))
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: clientAuth}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return func(cert *tls.Certificate) (int, string, http.Header) {
		t.Helper()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/Users")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
}

func TestClientCert(t *testing.T) {
	t.Parallel()
	ca := newCA(t)
	mw, err := auth.ClientCert([]auth.CertIdentity{
		{CommonName: "okta-relay", Principal: auth.Principal{Tenant: "acme"}},
		{URI: "spiffe://corp/entra-bridge", Principal: auth.Principal{Tenant: "globex"}},
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)

	srv := httptest.NewUnstartedServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		_, _ = io.WriteString(w, p.Tenant+"|"+p.CredentialID)
	})))
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	// VerifyClientCertIfGiven lets a certificate-less client through TLS, so
	// the middleware's own refusal is what is tested.
	srv.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	get := func(cert *tls.Certificate) (int, string) {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/Users")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	okta := ca.client(t, "okta-relay", "")
	status, body := get(&okta)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "acme|cert:okta-relay", body)

	bridge := ca.client(t, "whatever", "spiffe://corp/entra-bridge")
	status, body = get(&bridge)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "globex|cert:whatever", body)

	stranger := ca.client(t, "stranger", "spiffe://corp/other")
	status, _ = get(&stranger)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = get(nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	_, err = auth.ClientCert(nil, nil)
	require.Error(t, err)
	_, err = auth.ClientCert([]auth.CertIdentity{{}}, nil)
	require.Error(t, err)
}

// TestClientCertSANs: an identity matches on its DNS or e-mail subject
// alternative name (case-insensitively), and only on the field it names:
// the same text as the common name, or in another SAN, does not match.
func TestClientCertSANs(t *testing.T) {
	t.Parallel()
	ca := newCA(t)
	mw, err := auth.ClientCert([]auth.CertIdentity{
		{DNSName: "relay.okta.example", Principal: auth.Principal{Tenant: "acme"}},
		{Email: "scim-bridge@globex.example", Principal: auth.Principal{Tenant: "globex", CredentialID: "bridge"}},
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	get := mtlsServer(t, ca, mw, tls.VerifyClientCertIfGiven)

	cases := []struct {
		name   string
		cn     string
		edit   func(*x509.Certificate)
		status int
		body   string
	}{
		{"DNS SAN", "relay", func(c *x509.Certificate) { c.DNSNames = []string{"other.example", "relay.okta.example"} }, 200, "acme|cert:relay"},
		{"DNS SAN, other case", "relay", func(c *x509.Certificate) { c.DNSNames = []string{"Relay.OKTA.example"} }, 200, "acme|cert:relay"},
		{"e-mail SAN", "bridge", func(c *x509.Certificate) { c.EmailAddresses = []string{"scim-bridge@globex.example"} }, 200, "globex|bridge"},
		{"e-mail SAN, other case", "bridge", func(c *x509.Certificate) { c.EmailAddresses = []string{"SCIM-Bridge@Globex.example"} }, 200, "globex|bridge"},
		{"DNS name only as common name", "relay.okta.example", nil, 401, ""},
		{"e-mail only as common name", "scim-bridge@globex.example", nil, 401, ""},
		{"e-mail in a DNS SAN", "x", func(c *x509.Certificate) { c.DNSNames = []string{"scim-bridge.globex.example"} }, 401, ""},
		{"DNS name as e-mail", "x", func(c *x509.Certificate) { c.EmailAddresses = []string{"relay.okta.example@example.com"} }, 401, ""},
		{"DNS SAN prefix", "x", func(c *x509.Certificate) { c.DNSNames = []string{"relay.okta.example.evil.example"} }, 401, ""},
		{"DNS SAN subdomain", "x", func(c *x509.Certificate) { c.DNSNames = []string{"evil.relay.okta.example"} }, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert := ca.issue(t, tc.cn, tc.edit)
			status, body, hdr := get(&cert)
			require.Equal(t, tc.status, status, body)
			if status == http.StatusOK {
				assert.Equal(t, tc.body, body)
			} else {
				assertTLSChallenge(t, body, hdr)
			}
		})
	}
}

// TestClientCertUnverified: a certificate the TLS stack did not verify
// (tls.RequestClientCert, or a CA outside ClientCAs) is refused even when
// its identity matches, with the same 401 as no certificate at all.
func TestClientCertUnverified(t *testing.T) {
	t.Parallel()
	ca, rogue := newCA(t), newCA(t)
	mw, err := auth.ClientCert([]auth.CertIdentity{{CommonName: "okta-relay", Principal: auth.Principal{Tenant: "acme"}}},
		slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	// RequestClientCert asks for a certificate but verifies nothing: the
	// request carries PeerCertificates and no VerifiedChains.
	unverified := mtlsServer(t, ca, mw, tls.RequestClientCert)
	verified := mtlsServer(t, ca, mw, tls.VerifyClientCertIfGiven)

	good := ca.client(t, "okta-relay", "")
	status, body, _ := verified(&good)
	require.Equal(t, http.StatusOK, status, "the certificate itself is acceptable: %s", body)
	require.Equal(t, "acme|cert:okta-relay", body)

	for name, cert := range map[string]tls.Certificate{
		"trusted CA, chain not verified": good,
		"untrusted CA":                   rogue.client(t, "okta-relay", ""),
	} {
		t.Run(name, func(t *testing.T) {
			status, body, hdr := unverified(&cert)
			require.Equal(t, http.StatusUnauthorized, status, body)
			assertTLSChallenge(t, body, hdr)
		})
	}
	t.Run("no certificate", func(t *testing.T) {
		status, body, hdr := unverified(nil)
		require.Equal(t, http.StatusUnauthorized, status, body)
		assertTLSChallenge(t, body, hdr)
	})
}

// assertTLSChallenge checks a ClientCert rejection: a SCIM error body that
// says nothing of the reason, and a WWW-Authenticate challenge.
func assertTLSChallenge(t *testing.T, body string, hdr http.Header) {
	t.Helper()
	assert.Equal(t, "application/scim+json", hdr.Get("Content-Type"))
	assert.Equal(t, `TLS realm="scim"`, hdr.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"authentication required"}`, body)
}
