/**
 * The layer rules of DESIGN §2–3, checked by `npm run lint:deps` in CI. Dependencies point down:
 * hooks, web and jobs → services → domain; repositories → db. A new upward edge or any import
 * cycle fails the build. Type-only imports count: a cycle through a type is still a cycle in
 * what has to change together.
 */

/** The shipped code that is layered (migrations and tests sit beside the layers, not in them). */
const LAYERED = '^(plugin|hooks|bench)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules that import each other change together; break the cycle by moving the shared type down a layer.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'plugin/domain is pure rules: it imports only itself, zod, currency-codes and node builtins.',
      from: { path: '^plugin/domain/' },
      to: {
        pathNot: ['^plugin/domain/', '^node_modules/(zod|currency-codes)/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'repositories-import-domain-and-db',
      severity: 'error',
      comment: 'Repositories map rows to domain types: they import only domain, db and knex.',
      from: { path: '^plugin/repositories/' },
      to: {
        pathNot: ['^plugin/repositories/', '^plugin/domain/', '^plugin/db/', '^node_modules/knex/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'services-not-web',
      severity: 'error',
      comment: 'Services serve web, hooks and jobs alike; what both need (formatting, errors) lives below web.',
      from: { path: '^plugin/services/' },
      to: { path: '^plugin/web/' },
    },
    {
      name: 'services-not-hooks',
      severity: 'error',
      comment: 'Hooks are thin callers of services; the event service receives its handler from createPlugin.',
      from: { path: '^plugin/services/' },
      to: { path: '^hooks/' },
    },
    {
      name: 'data-layer-not-above',
      severity: 'error',
      comment: 'db and repositories sit at the bottom: they never import services, web, jobs, panels or hooks.',
      from: { path: '^plugin/(db|repositories)/' },
      to: { path: '^(plugin/(services|web|jobs|panels)|hooks)/' },
    },
    {
      name: 'web-through-services',
      severity: 'error',
      comment: 'Routers and presenters read and write through services, never through repositories.',
      from: { path: '^plugin/web/' },
      to: { path: '^plugin/repositories/' },
    },
    {
      name: 'panels-not-repositories',
      severity: 'error',
      comment: 'Panel adapters talk to the panel; what they need from the database comes through a service.',
      from: { path: '^plugin/panels/' },
      to: { path: '^plugin/repositories/' },
    },
    {
      name: 'knex-only-in-data-layer',
      severity: 'error',
      comment: 'Only repositories and db speak SQL (migrations and tests may too).',
      from: { path: LAYERED, pathNot: '^plugin/(repositories|db)/' },
      to: { path: '^node_modules/knex/' },
    },
    {
      name: 'drivers-only-in-db',
      severity: 'error',
      comment: 'The drivers sit under knex; only db/ configures them (and the bench, for its raw baseline).',
      from: { path: LAYERED, pathNot: '^(plugin/db|bench)/' },
      to: { path: '^node_modules/(mysql2|better-sqlite3)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      from: { pathNot: '(^|/)node_modules/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // node_modules may be a symlink (worktrees share one): keep its path as written.
    preserveSymlinks: true,
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
