// Package apicheck holds the test that keeps the module's exported names
// distinct across packages: a name two packages both define must mean the
// same thing in both, and say why in the test's list.
package apicheck
