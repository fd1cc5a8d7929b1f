// Stands in for the `source-map` package in the bundle. Handlebars loads it only to attach source maps to compiled
// templates (which stackscale never asks for) and falls back to its own small SourceNode when the package has no
// SourceNode, as in a browser. Leaving it out keeps ~60 KB of parsing off every start.
module.exports = {};
