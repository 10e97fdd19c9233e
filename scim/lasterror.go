package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/internal/batch"
	"github.com/scimkit/scimkit/store"
)

// lastErrorInterval is how often directories' last errors are written.
const lastErrorInterval = time.Minute

// lastError is a failure to show on a directory's admin page.
type lastError struct {
	at     time.Time
	detail string
}

// newLastErrors returns the batcher of directories' last errors, which
// writes each directory's newest failure into its record at most once a
// minute, so that an IdP failing at every request adds no write to them.
func (h *Handler) newLastErrors() *batch.Batcher[store.Scope, lastError] {
	return batch.New(h.writeLastErrors, func(a, b lastError) bool { return a.at.After(b.at) }, lastErrorInterval,
		h.cfg.Now, h.log, "scim: directories' last errors")
}

func (h *Handler) writeLastErrors(ctx context.Context, errs map[store.Scope]lastError) error {
	var failed []error
	for scope, e := range errs {
		_, err := h.cfg.Directories.UpdateDirectory(ctx, scope, func(d *directory.Directory) error {
			if e.at.After(d.LastErrorAt) {
				d.LastError, d.LastErrorAt = e.detail, e.at
			}
			return nil
		})
		if err != nil && !errors.Is(err, directory.ErrNotFound) {
			failed = append(failed, fmt.Errorf("%s: %w", scope, err))
		}
	}
	return errors.Join(failed...)
}

// noteFailure keeps rec, a failed write's audit record, as the last error
// of its directory (when the write had one: pol.dir), unless it is one an
// IdP meets in normal operation: 404 (deleting what is already gone) and
// 412 (a version moved on).
func (h *Handler) noteFailure(pol *policy, rec store.AuditRecord) {
	if pol == nil || pol.dir == nil || h.lastErrors == nil {
		return
	}
	switch rec.Status {
	case http.StatusNotFound, http.StatusPreconditionFailed:
		return
	}
	detail := fmt.Sprintf("%s %s %s: %d %s", rec.Operation, rec.ResourceType, rec.ResourceID, rec.Status, rec.Error)
	if len(detail) > directory.MaxErrorLen {
		// Cut at a character boundary: the record keeps valid UTF-8.
		detail = strings.ToValidUTF8(detail[:directory.MaxErrorLen], "")
	}
	h.lastErrors.Note(rec.Scope, lastError{at: h.cfg.Now(), detail: detail})
}

// Flush writes what the handler keeps in memory to write in batches: the
// last errors of directories (Directory.LastError). Call it when shutting
// down.
func (h *Handler) Flush(ctx context.Context) error {
	if h.lastErrors == nil {
		return nil
	}
	return h.lastErrors.Flush(ctx)
}
