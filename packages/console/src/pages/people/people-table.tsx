import type { ReactNode } from 'react';
import { useI18n } from '../../i18n/index.ts';
import { Link } from '../../router.tsx';
import type { User } from '../../schemas.ts';
import { Table } from '../../ui/table.tsx';
import { personName } from './names.ts';

export function StatusBadge({ status }: { status: User['status'] }): ReactNode {
  const { t } = useI18n();
  return <span className={`badge badge-${status}`}>{t(`status.${status}`)}</span>;
}

/** Search results: each name links to the person's page. */
export function PeopleTable({ users, caption }: { users: User[]; caption: string }): ReactNode {
  const { t, formatDateTime } = useI18n();
  return (
    <Table
      caption={caption}
      rows={users}
      rowKey={(user) => user.id}
      columns={[
        {
          key: 'name',
          header: t('people.col.name'),
          cell: (user) => (
            <>
              <Link to={`/people/${encodeURIComponent(user.id)}`}>{personName(user)}</Link>
              {user.name !== null && user.nickname !== null && user.nickname !== user.name ? (
                <div className="muted small">{user.nickname}</div>
              ) : null}
              <div className="muted small mono">{user.id}</div>
            </>
          ),
        },
        { key: 'phone', header: t('people.col.phone'), cell: (user) => user.phoneNumber ?? t('common.none') },
        { key: 'email', header: t('people.col.email'), cell: (user) => user.email ?? t('common.none') },
        { key: 'status', header: t('people.col.status'), cell: (user) => <StatusBadge status={user.status} /> },
        { key: 'created', header: t('people.col.created'), cell: (user) => formatDateTime(user.createdAt) },
        {
          key: 'lastLogin',
          header: t('people.col.lastLogin'),
          cell: (user) => (user.lastLoginAt === null ? t('people.never') : formatDateTime(user.lastLoginAt)),
        },
      ]}
    />
  );
}
