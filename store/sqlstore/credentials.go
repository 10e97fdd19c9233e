package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

const credentialColumns = "id, tenant, directory, kind, name, scopes, hash, secret, created, expires, revoked, last_used"

// encodeSecret is a signing secret as the secret column keeps it: base64,
// so that any bytes fit a text column; "" for none.
func encodeSecret(secret []byte) string {
	if len(secret) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(secret)
}

// scanCredential reads one row of credentialColumns, then rest.
func scanCredential(scan func(dest ...any) error, rest ...any) (*directory.Credential, error) {
	var c directory.Credential
	var kind, scopes, hash, secret string
	var created, expires, revoked, lastUsed int64
	dest := append([]any{&c.ID, &c.Tenant, &c.Directory, &kind, &c.Name, &scopes, &hash, &secret, &created, &expires, &revoked, &lastUsed}, rest...)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	c.Kind = directory.CredentialKind(kind)
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return nil, fmt.Errorf("sqlstore: credential %s scopes: %w", c.ID, err)
	}
	raw, err := hex.DecodeString(hash)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: credential %s hash: %w", c.ID, err)
	}
	if len(raw) > 0 {
		c.Hash = raw
	}
	if secret != "" {
		if c.Secret, err = base64.StdEncoding.DecodeString(secret); err != nil {
			return nil, fmt.Errorf("sqlstore: credential %s secret: %w", c.ID, err)
		}
	}
	c.Created, c.Expires, c.Revoked, c.LastUsed = fromMillis(created), fromMillis(expires), fromMillis(revoked), fromMillis(lastUsed)
	return &c, nil
}

// CreateCredential saves a credential of an existing directory, whose row
// it locks so that a concurrent DeleteDirectory cannot leave the credential
// behind (directory.CredentialStore).
func (ds *Directories) CreateCredential(ctx context.Context, c *directory.Credential) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s := ds.s
	created := s.clock()
	err := s.inTxFunc(ctx, func(run *runner) error {
		if _, err := s.directory(ctx, run, c.Scope(), true); err != nil {
			return err
		}
		scopes, err := json.Marshal(c.Scopes)
		if err != nil {
			return fmt.Errorf("sqlstore: credential scopes: %w", err)
		}
		b := s.query()
		b.w("INSERT INTO ", s.t.credentials, " (", credentialColumns, ") VALUES (",
			b.arg(c.ID), ", ", b.arg(c.Tenant), ", ", b.arg(c.Directory), ", ", b.arg(string(c.Kind)), ", ",
			b.arg(c.Name), ", ", b.arg(string(scopes)), ", ", b.arg(hex.EncodeToString(c.Hash)), ", ", b.arg(encodeSecret(c.Secret)), ", ",
			b.arg(millis(created)), ", ", b.arg(millis(c.Expires)), ", ", b.arg(millis(c.Revoked)), ", 0) ON CONFLICT DO NOTHING")
		res, err := run.exec(ctx, b.String(), b.args...)
		if err != nil {
			return fmt.Errorf("sqlstore: create credential: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlstore: create credential: %w", err)
		} else if n == 0 {
			return fmt.Errorf("%w: credential %s", directory.ErrExists, c.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Created, c.LastUsed = created, time.Time{}
	return nil
}

// LookupCredential returns the credential with key id id and its
// directory, in one indexed read (directory.CredentialStore).
func (ds *Directories) LookupCredential(ctx context.Context, id string) (*directory.Credential, *directory.Directory, error) {
	s := ds.s
	b := s.query()
	b.w("SELECT c.id, c.tenant, c.directory, c.kind, c.name, c.scopes, c.hash, c.secret, c.created, c.expires, c.revoked, c.last_used, ",
		"d.tenant, d.id, d.name, d.kind, d.state, d.settings, d.created, d.updated, d.last_request, d.last_error, d.last_error_at, d.version, d.disconnection",
		" FROM ", s.t.credentials, " c JOIN ", s.t.directories, " d ON d.tenant = c.tenant AND d.id = c.directory",
		" WHERE c.id = ", b.arg(id))
	// One row holds both: the credential's columns, then the directory's,
	// each read by its own scan function.
	var dir *directory.Directory
	c, err := scanCredential(func(dest ...any) error {
		row := s.dbr.queryRow(ctx, b.String(), b.args...)
		var scanErr error
		dir, scanErr = scanDirectory(func(ddest ...any) error { return row.Scan(append(dest, ddest...)...) })
		return scanErr
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%w: credential %s", directory.ErrNotFound, id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: look up credential: %w", err)
	}
	return c, dir, nil
}

// ListCredentials returns the directory's credentials, newest first,
// without their hashes (directory.CredentialStore).
func (ds *Directories) ListCredentials(ctx context.Context, scope store.Scope) ([]*directory.Credential, error) {
	s := ds.s
	b := s.query()
	b.w("SELECT ", credentialColumns, " FROM ", s.t.credentials, " WHERE tenant = ", b.arg(scope.Tenant),
		" AND directory = ", b.arg(scope.Directory), " ORDER BY created DESC, id")
	var out []*directory.Credential
	err := s.dbr.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
		c, err := scanCredential(rows.Scan)
		if err != nil {
			return err
		}
		c.Hash, c.Secret = nil, nil
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list credentials: %w", err)
	}
	return out, nil
}

// EndCredential revokes the credential or sets its expiry, keeping an
// earlier end (directory.CredentialStore).
func (ds *Directories) EndCredential(ctx context.Context, scope store.Scope, id string, at time.Time, revoke bool) error {
	if err := directory.CheckEnd(at); err != nil {
		return err
	}
	s := ds.s
	col := "expires"
	if revoke {
		col = "revoked"
	}
	b := s.query()
	ms := millis(at)
	b.w("UPDATE ", s.t.credentials, " SET ", col, " = CASE WHEN ", col, " = 0 OR ", col, " > ", b.arg(ms),
		" THEN ", b.arg(ms), " ELSE ", col, " END WHERE id = ", b.arg(id), " AND tenant = ", b.arg(scope.Tenant),
		" AND directory = ", b.arg(scope.Directory))
	res, err := s.dbr.exec(ctx, b.String(), b.args...)
	if err != nil {
		return fmt.Errorf("sqlstore: end credential: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore: end credential: %w", err)
	} else if n == 0 {
		return fmt.Errorf("%w: credential %s of %s", directory.ErrNotFound, id, scope)
	}
	return nil
}

// TouchCredentials records last-used times, and the directories' last
// request, in one transaction (directory.CredentialStore).
func (ds *Directories) TouchCredentials(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	s := ds.s
	// In id order, so that two replicas writing overlapping batches take
	// the rows' locks in one order and cannot deadlock.
	ids := slices.Sorted(maps.Keys(used))
	return s.inTxFunc(ctx, func(run *runner) error {
		for _, id := range ids {
			at := used[id]
			ms := millis(at)
			b := s.query()
			b.w("UPDATE ", s.t.credentials, " SET last_used = ", b.arg(ms), " WHERE id = ", b.arg(id), " AND last_used < ", b.arg(ms))
			if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
				return fmt.Errorf("sqlstore: touch credential: %w", err)
			}
			b = s.query()
			b.w("UPDATE ", s.t.directories, " SET last_request = ", b.arg(ms), " WHERE last_request < ", b.arg(ms),
				" AND (tenant, id) IN (SELECT tenant, directory FROM ", s.t.credentials, " WHERE id = ", b.arg(id), ")")
			if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
				return fmt.Errorf("sqlstore: touch directory: %w", err)
			}
		}
		return nil
	})
}
