/**
 * `npm run lint` fails on an import circle anywhere in the packages: imports point down (a context
 * type or a Fastify augmentation lives in a leaf module; the composition root imports everything and
 * nothing imports it). TypeScript 7 has no compiler API for dependency-cruiser, so swc parses the
 * sources; `import type` counts too, because a type-only circle is the same tangle to read.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle: move what both sides need into a leaf module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|test-results)/' },
    parser: 'swc',
    tsPreCompilationDeps: true,
  },
};
