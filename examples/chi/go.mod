module github.com/scimkit/scimkit/examples/chi

go 1.26.8

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/scimkit/scimkit v0.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/elimity-com/scim v0.0.0-20260728105928-2641426a1539 // indirect
	github.com/q-uint/parser v0.3.1 // indirect
	github.com/q-uint/xsd-datetime v1.0.0 // indirect
	github.com/scim2/filter-parser/v2 v2.3.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

// The example builds against the library in this repository.
replace github.com/scimkit/scimkit => ../..
