/**
 * `/api-keys`: the admin keys a backend uses to call the management API (`Authorization: Bearer
 * wu_…`). A new key is shown exactly once, in the dialog that made it — the server keeps only its
 * hash. Revoking goes through the confirm dialog; revoked keys stay listed so the audit log's
 * "API key <name>" entries still point at something.
 */
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { api, noContent } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { connectionListSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { useConfirm } from '../../ui/confirm-dialog.tsx';
import { CopyValue } from '../../ui/copy-value.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { useErrorMessage } from '../../ui/errors.ts';
import { CheckboxField, Field } from '../../ui/field.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Notice, useNotify } from '../../ui/notice.tsx';
import { Page } from '../../ui/page.tsx';
import { Table } from '../../ui/table.tsx';
import { useLoad } from '../../ui/use-load.ts';
import { type AdminKey, adminKeysSchema, createdAdminKeySchema } from './model.ts';
// CopyValue's layout lives with the setup pages' styles.
import '../../ui/setup-pages.css';

/** The management API's machine-readable description, served by weunion itself. */
const OPENAPI_URL = '/api/v1/openapi.json';

export function ApiKeysPage(_props: RouteProps): ReactNode {
  const { t, formatDateTime } = useI18n();
  const notify = useNotify();
  const confirm = useConfirm();
  const [creating, setCreating] = useState(false);
  // Ids are time-ordered and the server lists oldest first: the newest key goes on top.
  const load = useLoad(async () => (await api.get('/api/v1/admin-keys', adminKeysSchema)).adminKeys.toReversed(), []);

  const revoke = async (key: AdminKey) => {
    const confirmed = await confirm({
      title: t('apiKeys.revokeTitle', { name: key.name }),
      body: t('apiKeys.revokeBody', { name: key.name, prefix: key.keyPrefix }),
      confirmLabel: t('apiKeys.revokeConfirm'),
      action: () => api.delete(`/api/v1/admin-keys/${encodeURIComponent(key.id)}`, noContent),
    });
    if (confirmed) {
      notify(t('apiKeys.revoked', { name: key.name }));
      load.reload();
    }
  };

  const create = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      {t('apiKeys.create')}
    </Button>
  );
  const intro = (
    <>
      {t('apiKeys.intro.before')} <code className="mono">Authorization: Bearer wu_…</code> {t('apiKeys.intro.after')}{' '}
      <a href={OPENAPI_URL}>{t('apiKeys.reference')}</a>
    </>
  );
  return (
    <Page title={t('apiKeys.title')} description={intro} actions={create}>
      <Loaded load={load}>
        {(keys) =>
          keys.length === 0 ? (
            <EmptyState title={t('apiKeys.empty')}>{create}</EmptyState>
          ) : (
            <Table<AdminKey>
              caption={t('apiKeys.title')}
              rows={keys}
              rowKey={(key) => key.id}
              columns={[
                { key: 'name', header: t('apiKeys.col.name'), cell: (key) => key.name },
                { key: 'prefix', header: t('apiKeys.col.prefix'), cell: (key) => <span className="mono">{key.keyPrefix}…</span> },
                {
                  key: 'access',
                  header: t('apiKeys.col.access'),
                  cell: (key) =>
                    key.scope === 'full' ? (
                      t('apiKeys.access.full')
                    ) : (
                      <>
                        {t('apiKeys.access.tokens', { connections: (key.connections ?? []).join(', ') })}
                        {key.tokenReads.length > 0 ? (
                          <div className="muted small">
                            {key.tokenReads
                              .map((read) => t('apiKeys.access.reads', { connection: read.connectionId, count: String(read.count) }))
                              .join(' · ')}
                          </div>
                        ) : null}
                      </>
                    ),
                },
                { key: 'created', header: t('apiKeys.col.created'), cell: (key) => formatDateTime(key.createdAt) },
                {
                  key: 'lastUsed',
                  header: t('apiKeys.col.lastUsed'),
                  cell: (key) =>
                    key.lastUsedAt === null ? <span className="muted">{t('apiKeys.never')}</span> : formatDateTime(key.lastUsedAt),
                },
                {
                  key: 'status',
                  header: t('apiKeys.col.status'),
                  cell: (key) =>
                    key.revokedAt === null ? (
                      <span className="badge badge-active">{t('apiKeys.status.active')}</span>
                    ) : (
                      <>
                        <span className="badge badge-blocked">{t('apiKeys.status.revoked')}</span>{' '}
                        <span className="muted small">{t('apiKeys.revokedAt', { date: formatDateTime(key.revokedAt) })}</span>
                      </>
                    ),
                },
                {
                  key: 'actions',
                  header: <span className="visually-hidden">{t('apiKeys.col.actions')}</span>,
                  cell: (key) =>
                    key.revokedAt === null ? (
                      <Button
                        variant="danger"
                        className="button-small"
                        aria-label={t('apiKeys.revokeLabel', { name: key.name })}
                        onClick={() => revoke(key)}
                      >
                        {t('apiKeys.revoke')}
                      </Button>
                    ) : null,
                },
              ]}
            />
          )
        }
      </Loaded>
      {creating ? (
        <CreateKeyDialog
          onCreated={(key) => {
            notify(t('apiKeys.created', { name: key.name }));
            load.reload();
          }}
          onClose={() => setCreating(false)}
        />
      ) : null}
    </Page>
  );
}

/** Asks for a name, then shows the new key — once: closing the dialog forgets it. */
function CreateKeyDialog({ onCreated, onClose }: { onCreated: (key: AdminKey) => void; onClose: () => void }): ReactNode {
  const { t } = useI18n();
  const errorMessage = useErrorMessage();
  const formId = useId();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  // A token-reader key (scope tokens:read) for the ticked connections; unticked, a full key.
  const [tokenReader, setTokenReader] = useState(false);
  const [readable, setReadable] = useState<string[]>([]);
  const [readableError, setReadableError] = useState<string | null>(null);
  const connections = useLoad(async () => (await api.get('/api/v1/connections', connectionListSchema)).connections, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') {
      setNameError(t('apiKeys.field.name.required'));
      return;
    }
    setNameError(null);
    if (tokenReader && readable.length === 0) {
      setReadableError(t('apiKeys.field.connections.required'));
      return;
    }
    setReadableError(null);
    setError(null);
    setBusy(true);
    try {
      const body = tokenReader ? { name: trimmed, scope: 'tokens:read', connections: readable } : { name: trimmed };
      const created = await api.post('/api/v1/admin-keys', createdAdminKeySchema, body);
      setSecret(created.key);
      onCreated(created.adminKey);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  };

  if (secret !== null) {
    return (
      <Dialog
        // A new dialog, not the form's one retitled: focus and the screen reader start afresh.
        key="key"
        wide
        title={t('apiKeys.keyTitle')}
        onClose={onClose}
        footer={
          <Button variant="primary" onClick={onClose}>
            {t('apiKeys.keyDone')}
          </Button>
        }
      >
        <Notice kind="warning">{t('apiKeys.keyWarning')}</Notice>
        <CopyValue label={t('apiKeys.keyLabel')} value={secret} />
      </Dialog>
    );
  }
  return (
    <Dialog
      title={t('apiKeys.createTitle')}
      onClose={() => (busy ? undefined : onClose())}
      footer={
        <>
          <Button onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </Button>
          <Button variant="primary" type="submit" form={formId} busy={busy}>
            {t('apiKeys.create')}
          </Button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} noValidate>
        <Field
          label={t('apiKeys.field.name')}
          hint={t('apiKeys.field.name.help')}
          error={nameError}
          value={name}
          onChange={(event) => setName(event.target.value)}
          maxLength={100}
          required
          autoComplete="off"
        />
        <CheckboxField
          label={t('apiKeys.field.tokenReader')}
          hint={t('apiKeys.field.tokenReader.help')}
          checked={tokenReader}
          onChange={setTokenReader}
        />
        {tokenReader ? (
          <fieldset className="choices">
            <legend>{t('apiKeys.field.connections')}</legend>
            <Loaded load={connections}>
              {(list) =>
                list
                  .filter((c) => c.appType === 'official_account' || c.appType === 'mini_program')
                  .map((c) => (
                    <label key={c.id} className="choice">
                      <input
                        type="checkbox"
                        checked={readable.includes(c.id)}
                        onChange={(event) => setReadable(event.target.checked ? [...readable, c.id] : readable.filter((id) => id !== c.id))}
                      />
                      <span>
                        {c.name} <span className="mono muted small">{c.id}</span>
                      </span>
                    </label>
                  ))
              }
            </Loaded>
            {readableError ? <p className="field-error">{readableError}</p> : null}
          </fieldset>
        ) : null}
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
    </Dialog>
  );
}
