// Reads a GEXF or GraphML file with graphology's parsers and prints what they found, as JSON:
//   node read-gephi.js FILE.gexf|FILE.graphml
// {"type": …, "multi": …, "nodes": {id: attributes}, "edges": [[source, target, attributes], …]}
// tests/test_export.py compares it with networkx's reading of the same file.
'use strict';
const fs = require('fs');
const path = require('path');
const Graph = require('graphology');

const file = process.argv[2];
const text = fs.readFileSync(file, 'utf8');
const parser = path.extname(file) === '.gexf' ? require('graphology-gexf') : require('graphology-graphml');
const graph = parser.parse(Graph.MultiDirectedGraph, text);
const nodes = {};
graph.forEachNode((id, attrs) => { nodes[id] = attrs; });
const edges = [];
graph.forEachEdge((key, attrs, source, target) => { edges.push([source, target, attrs]); });
process.stdout.write(JSON.stringify({ type: graph.type, multi: graph.multi, nodes, edges }));
