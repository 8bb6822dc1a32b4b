/** Says, once per run, which scale-out suites run and which are skipped for want of a server. */
export default function reportScaleOutSuites(): void {
  const missing = [
    process.env.DATABASE_URL?.startsWith('postgres') ? undefined : 'PostgreSQL (set DATABASE_URL=postgres://…)',
    process.env.REDIS_URL ? undefined : 'Redis (set REDIS_URL=redis://…)',
  ].filter((x) => x !== undefined);
  if (missing.length === 0) {
    console.log('[weunion] scale-out suites: running against PostgreSQL and Redis');
  } else {
    console.log(`[weunion] scale-out suites SKIPPED for: ${missing.join(', ')}. Embedded-mode suites run in full.`);
  }
}
