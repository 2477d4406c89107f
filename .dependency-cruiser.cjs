// The pipeline's arrows point down: model <- host, policy <- plan <- apply,
// doctor, report <- render <- cli. Checked in the test run (npm test) by
// dependency-cruiser; type-only imports count too.
const below = (from, ...above) => ({
  name: `${from}-below-${above.join('-')}`,
  severity: 'error',
  comment: `src/${from} must not depend on ${above.map((a) => `src/${a}`).join(', ')}`,
  from: { path: `^src/${from}/` },
  to: { path: `^src/(${above.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no module reaches itself again', from: {}, to: { circular: true } },
    below('model', 'host', 'policy', 'plan', 'apply', 'doctor', 'report', 'render', 'cli'),
    below('host', 'policy', 'plan', 'apply', 'doctor', 'report', 'render', 'cli'),
    below('policy', 'host', 'plan', 'apply', 'doctor', 'report', 'render', 'cli'),
    below('plan', 'host', 'apply', 'doctor', 'report', 'render', 'cli'),
    below('doctor', 'apply', 'report', 'render', 'cli'),
    below('report', 'apply', 'render', 'cli'),
    below('apply', 'doctor', 'render', 'cli'),
    below('render', 'cli'),
    {
      name: 'plan-is-pure',
      severity: 'error',
      comment: 'the planner reads nothing from the system: no file or process access',
      from: { path: '^src/plan/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|child_process|worker_threads|net)$' },
    },
    {
      name: 'lazy-builtins-stay-at-the-edges',
      severity: 'error',
      comment: 'src/model/builtin.ts loads node:child_process and node:net at first use, out of sight of plan-is-pure: only apply, cli and the digest may use it',
      from: { pathNot: '^src/(apply|cli)/|^src/model/(digest|builtin)\\.ts$' },
      to: { path: '^src/model/builtin\\.ts$' },
    },
    {
      name: 'commands-never-import-commands',
      severity: 'error',
      comment: 'what two commands share lives in src/cli, not in one of them',
      from: { path: '^src/cli/commands/([^/]+)\\.ts$' },
      to: { path: '^src/cli/commands/', pathNot: '^src/cli/commands/$1\\.ts$' },
    },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      comment: 'the simulated kernel and fixtures stay out of the product',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    // TypeScript 7 ships no compiler API for it to parse with: swc parses the sources.
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
  },
};
