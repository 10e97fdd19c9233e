// Package document is scimkit's document engine: everything that turns what
// a client sends into what a store keeps, and a stored resource into what a
// client is shown, without HTTP and without a store.
//
// A Type is the table of one resource type (User, Group), built from its
// schemas (package schema) once. Decode normalises a POST or PUT body and
// validates it into stored form; ParsePatch and Type.ApplyPatch read and
// apply PATCH operations to a copy of a resource, under a work budget that
// keeps every PATCH linear; Type.MemberDelta recognises the membership-only
// PATCHes that a store can apply as a delta, by the same rules; Type.Project
// applies attributes and excludedAttributes. Refusals are *Error values,
// which the HTTP layer answers with 400 and the error's scimType.
//
// What real IdPs send beyond RFC 7643 and RFC 7644 is listed in one file,
// quirks.go, with the code that accepts it.
package document
