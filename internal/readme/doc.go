// Package readme holds the test that keeps README.md's Go snippets in step
// with the API: each snippet is type-checked against the module's packages,
// with the variables it takes from its surroundings declared for it.
package readme
