// Package views renders certform's values for people and machines. Views
// never compute: every decision is made by config, plan or apply, and a view
// only lays the result out.
package views
