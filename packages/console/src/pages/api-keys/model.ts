/** The management API's admin keys, as the server describes them (@weunion/management-api). */
import { adminKeyView } from '@weunion/management-api';
import { z } from 'zod';

export const adminKeySchema = adminKeyView;
export type AdminKey = z.infer<typeof adminKeySchema>;

export const adminKeysSchema = z.object({ adminKeys: z.array(adminKeySchema) });

/** `POST /api/v1/admin-keys`: the key itself is in this answer and nowhere else. */
export const createdAdminKeySchema = z.object({ key: z.string(), adminKey: adminKeySchema });
