/**
 * People → Import / export: upload a file, read the dry-run report, then import; a large file shows
 * its progress (the server writes it in batches, `GET /imports/:runId` says how far it got).
 * Export downloads everyone in the format the import reads. Conflicts are never merged here: they
 * become merge suggestions, linked from the report.
 */
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { Link } from '../../router.tsx';
import { importReportSchema, type ImportReport as Report } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { SelectField } from '../../ui/field.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import '../../ui/setup-pages.css';

type Kind = 'people' | 'authing';

interface Upload {
  kind: Kind;
  filename: string;
  content: string;
  mapping?: unknown;
}

const POLL_MS = 500;

export function ImportPage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const errorMessage = useErrorMessage();
  const fileId = useId();
  const mappingId = useId();
  const [kind, setKind] = useState<Kind>('people');
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState<File | null>(null);
  const [upload, setUpload] = useState<Upload | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const polling = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (polling.current !== null) clearTimeout(polling.current);
    },
    [],
  );

  const reset = () => {
    setUpload(null);
    setReport(null);
    setError(null);
  };

  const check = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (file === null) return setError(t('imports.needFile'));
    if (kind === 'authing' && mapping === null) return setError(t('imports.needMapping'));
    setBusy(true);
    try {
      const content = await file.text();
      let parsedMapping: unknown;
      if (kind === 'authing' && mapping !== null) {
        try {
          parsedMapping = JSON.parse(await mapping.text());
        } catch {
          throw new Error(t('imports.mappingHint'));
        }
      }
      const next: Upload = { kind, filename: file.name, content, ...(parsedMapping === undefined ? {} : { mapping: parsedMapping }) };
      setReport(await api.post('/api/v1/imports/dry-run', importReportSchema, next));
      setUpload(next);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  const follow = (runId: string) => {
    polling.current = setTimeout(async () => {
      try {
        const current = await api.get(`/api/v1/imports/${encodeURIComponent(runId)}`, importReportSchema);
        setReport(current);
        if (current.status === 'running') follow(runId);
      } catch (caught) {
        setError(errorMessage(caught));
      }
    }, POLL_MS);
  };

  const apply = async () => {
    if (upload === null) return;
    setBusy(true);
    setError(null);
    try {
      // The same file again resumes a run that stopped; a finished one is simply found unchanged.
      const started = await api.post('/api/v1/imports', importReportSchema, { ...upload, resume: true });
      setReport(started);
      if (started.status === 'running' && started.runId !== null) follow(started.runId);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title={t('imports.title')} description={t('imports.description')}>
      <div className="grid-2">
        <section className="card" aria-labelledby={`${fileId}-heading`}>
          <div className="card-header">
            <h2 id={`${fileId}-heading`}>{t('imports.importHeading')}</h2>
          </div>
          {report === null ? (
            <form className="stack" onSubmit={check}>
              <SelectField
                label={t('imports.kind')}
                hint={t('imports.kindHint')}
                value={kind}
                onChange={(e) => setKind(e.target.value === 'authing' ? 'authing' : 'people')}
              >
                <option value="people">{t('imports.kind.people')}</option>
                <option value="authing">{t('imports.kind.authing')}</option>
              </SelectField>
              <div className="field">
                <label htmlFor={fileId}>{t('imports.file')}</label>
                <input
                  id={fileId}
                  type="file"
                  accept={kind === 'authing' ? '.json,application/json' : '.csv,.json,text/csv,application/json'}
                  onChange={(e) => setFile(e.target.files?.[0] ?? null)}
                />
              </div>
              {kind === 'authing' ? (
                <div className="field">
                  <label htmlFor={mappingId}>{t('imports.mapping')}</label>
                  <input
                    id={mappingId}
                    type="file"
                    accept=".json,application/json"
                    aria-describedby={`${mappingId}-hint`}
                    onChange={(e) => setMapping(e.target.files?.[0] ?? null)}
                  />
                  <p className="field-hint" id={`${mappingId}-hint`}>
                    {t('imports.mappingHint')}
                  </p>
                </div>
              ) : null}
              {error ? (
                <p className="field-error" role="alert">
                  {error}
                </p>
              ) : null}
              <div className="row">
                <Button type="submit" variant="primary" busy={busy}>
                  {t('imports.check')}
                </Button>
              </div>
            </form>
          ) : (
            <ImportReport report={report} busy={busy} error={error} onApply={apply} onReset={reset} />
          )}
        </section>
        <section className="card" aria-labelledby={`${fileId}-export`}>
          <div className="card-header">
            <h2 id={`${fileId}-export`}>{t('imports.exportHeading')}</h2>
          </div>
          <p>{t('imports.exportText')}</p>
          <div className="row">
            <a className="button button-secondary" href="/api/v1/people/export?format=csv" download>
              {t('imports.exportCsv')}
            </a>
            <a className="button button-secondary" href="/api/v1/people/export?format=json" download>
              {t('imports.exportJson')}
            </a>
          </div>
        </section>
      </div>
    </Page>
  );
}

function ImportReport({
  report,
  busy,
  error,
  onApply,
  onReset,
}: {
  report: Report;
  busy: boolean;
  error: string | null;
  onApply: () => void;
  onReset: () => void;
}): ReactNode {
  const { t, formatNumber } = useI18n();
  const heading = report.dryRun
    ? t('imports.dryRunHeading')
    : report.status === 'running'
      ? t('imports.runningHeading')
      : report.status === 'done'
        ? t('imports.doneHeading')
        : t('imports.stoppedHeading');
  const stats = [
    ['total', report.total],
    ['created', report.created],
    ['joined', report.joined],
    ['unchanged', report.unchanged],
    ['skipped', report.skipped],
    ['conflicts', report.conflicts],
    ['identitiesAdded', report.identitiesAdded],
    ['suggestions', report.suggestions],
  ] as const;
  return (
    <div className="stack">
      <h3>{heading}</h3>
      {report.dryRun ? <p className="muted">{t('imports.dryRunNote')}</p> : null}
      {!report.dryRun ? (
        <div className="stack">
          <progress aria-label={t('imports.progressLabel')} value={report.processed} max={Math.max(report.total, 1)} />
          <p className="muted small" role="status">
            {t('imports.progress', { processed: formatNumber(report.processed), total: formatNumber(report.total) })}
          </p>
        </div>
      ) : null}
      <dl className="stats import-stats">
        {stats.map(([key, value]) => (
          <div key={key}>
            <dt className="stat-label">{t(`imports.stat.${key}`)}</dt>
            <dd className="stat-value import-stat-value">{formatNumber(value)}</dd>
          </div>
        ))}
      </dl>
      {Object.entries(report.identitiesLeftOut).map(([reason, count]) => (
        <p key={reason} className="muted small">
          {t('imports.leftOut', { reason, count })}
        </p>
      ))}
      {report.status === 'stopped' ? <p role="alert">{report.failure ?? t('imports.stoppedNote')}</p> : null}
      {report.details.length > 0 ? (
        <Table
          caption={t('imports.details')}
          showCaption
          rows={report.details}
          rowKey={(d) => `${d.kind}:${d.position}:${d.reason}:${d.detail}`}
          columns={[
            { key: 'record', header: t('imports.col.record'), cell: (d) => <span className="mono">{d.key}</span> },
            { key: 'outcome', header: t('imports.col.outcome'), cell: (d) => t(`imports.outcome.${d.kind}`) },
            { key: 'why', header: t('imports.col.why'), cell: (d) => d.detail },
          ]}
        />
      ) : null}
      {report.conflicts > 0 ? (
        <p className="small">
          {t('imports.conflictsNote')} <Link to="/merges">{t('imports.reviewSuggestions')}</Link>
        </p>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="row">
        {report.dryRun ? (
          <Button variant="primary" busy={busy} onClick={onApply}>
            {t('imports.apply')}
          </Button>
        ) : null}
        {report.status !== 'running' ? <Button onClick={onReset}>{t('imports.again')}</Button> : null}
      </div>
    </div>
  );
}
