import { parsePolicy } from './src/policy.js';
const txt = `version: 1
rules:
  - name: a
    match: { numa_node: 2 }
    state: online_movabl
  - name: a
    match: { numa_node: [2, x], tir: 3 }
    state: online
  - name: c
    match: {}
    state: online
`;
console.log(JSON.stringify(parsePolicy(txt, 'p.yaml'), null, 1));
console.log(JSON.stringify(parsePolicy(`version: 1\nrules:\n  - name: a\n    match: { numa_node: 2 }\n    state: online\n  - name: b\n    match: { numa_node: 2, tier: 4 }\n    state: unplug\n  - name: c\n    match: {}\n    state: online\n`, 'p.yaml'), null, 1));
console.log(JSON.stringify(parsePolicy(`version: 1\nrules: [\n`, 'p.yaml'), null, 1));
