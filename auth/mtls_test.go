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
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	if uri != "" {
		u, err := url.Parse(uri)
		require.NoError(t, err)
		tmpl.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestClientCert(t *testing.T) {
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
