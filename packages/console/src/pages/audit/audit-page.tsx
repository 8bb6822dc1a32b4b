/** The audit log, newest first: filter by action and subject (kept in the URL), then page on with the cursor. */
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api.ts';
import { useI18n } from '../../i18n/index.ts';
import type { RouteProps } from '../../route-props.ts';
import { navigate, useSearchParams } from '../../router.tsx';
import { type AuditEntry, auditPageSchema } from '../../schemas.ts';
import { Button } from '../../ui/button.tsx';
import { LoadMore, useCursorPages } from '../../ui/cursor-pages.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Loaded } from '../../ui/load-state.tsx';
import { Page } from '../../ui/page.tsx';
import { AuditEntries } from './audit-entries.tsx';
import { describeAction } from './words.ts';

const KNOWN_ACTIONS = [
  'user.created',
  'user.profile_updated',
  'user.blocked',
  'user.unblocked',
  'user.deleted',
  'user.merged',
  'user.merged_into',
  'user.unmerged',
  'user.unmerged_from',
  'user.password_set',
  'user.password_reset',
  'user.password_removed',
  'identity.linked',
  'identity.unlinked',
  'identity.moved',
  'identity.moved_out',
  'identity.moved_back',
  'identity.unionid_recorded',
  'identifier.added',
  'binding.locked',
  'merge_suggestion.created',
  'merge_suggestion.dismissed',
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'application.created',
  'application.updated',
  'application.secret_rotated',
  'application.deleted',
  'webhook_endpoint.created',
  'webhook_endpoint.updated',
  'webhook_endpoint.deleted',
  'webhook_endpoint.disabled',
  'webhook_endpoint.secret_rotated',
  'admin_key.created',
  'admin_key.revoked',
  'admin_account.created',
  'admin_account.signed_in',
  'admin_account.deleted',
  'admin_account.totp_enabled',
  'admin_account.totp_disabled',
  'admin_account.unlocked',
  'admin_account.recovery_codes_generated',
  'admin_account.recovery_code_used',
];

export function AuditPage(_props: RouteProps): ReactNode {
  const { t } = useI18n();
  const params = useSearchParams();
  const action = params.get('action') ?? '';
  const subject = params.get('subject') ?? '';
  const [actionInput, setActionInput] = useState(action);
  const [subjectInput, setSubjectInput] = useState(subject);
  useEffect(() => {
    setActionInput(action);
    setSubjectInput(subject);
  }, [action, subject]);

  const pages = useCursorPages<AuditEntry>(
    async (cursor) => {
      const page = await api.get('/api/v1/audit-log', auditPageSchema, { action, subjectId: subject, limit: 50, cursor });
      return { items: page.entries, nextCursor: page.nextCursor };
    },
    [action, subject],
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (actionInput.trim()) query.set('action', actionInput.trim());
    if (subjectInput.trim()) query.set('subject', subjectInput.trim());
    const text = query.toString();
    navigate(text ? `/audit?${text}` : '/audit');
  };

  return (
    <Page title={t('nav.audit')} description={t('audit.description')}>
      <form className="search-bar card" onSubmit={submit}>
        <SelectField label={t('audit.action')} value={actionInput} onChange={(e) => setActionInput(e.target.value)}>
          <option value="">{t('audit.anyAction')}</option>
          {[...new Set([...KNOWN_ACTIONS, ...(action ? [action] : [])])].map((known) => (
            <option key={known} value={known}>
              {describeAction(t, known)}
            </option>
          ))}
        </SelectField>
        <Field
          label={t('audit.subject')}
          hint={t('audit.subjectHint')}
          value={subjectInput}
          onChange={(e) => setSubjectInput(e.target.value)}
        />
        <div className="row">
          <Button type="submit" variant="primary">
            {t('audit.filter')}
          </Button>
          {action || subject ? <Button onClick={() => navigate('/audit')}>{t('audit.clear')}</Button> : null}
        </div>
      </form>
      <section className="card">
        <Loaded load={pages.first}>
          {(page) => {
            const { items: entries, cursor, loadMore } = pages.pagesAfter(page);
            return (
              <>
                <AuditEntries entries={entries} caption={t('nav.audit')} />
                <LoadMore cursor={cursor} busy={pages.loadingMore} onClick={loadMore} />
              </>
            );
          }}
        </Loaded>
      </section>
    </Page>
  );
}
