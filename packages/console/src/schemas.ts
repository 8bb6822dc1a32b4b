/**
 * The management API's answers the console reads, as zod schemas: the console parses, never casts,
 * what the server sends. They are the server's own (@weunion/management-api), under the names the
 * pages use; the console adds only the types it names and a summary of a connection.
 */
import {
  actorView,
  auditEntryView,
  auditPage,
  connectionView,
  identifierView,
  importReportView,
  loginEventPage,
  loginEventView,
  loginStatsView,
  mergePage,
  mergePreviewView,
  mergeResultView,
  mergeSuggestionPage,
  mergeSuggestionView,
  mergeView,
  SCENARIO_IDS,
  userDetailView,
  userPage,
  userView,
  wechatIdentityView,
} from '@weunion/management-api';
import { z } from 'zod';

export const userSchema = userView;
export type User = z.infer<typeof userSchema>;

export const wechatIdentitySchema = wechatIdentityView;
export type WechatIdentity = z.infer<typeof wechatIdentitySchema>;

export const identifierSchema = identifierView;
export type Identifier = z.infer<typeof identifierSchema>;

export const userDetailSchema = userDetailView;
export type UserDetail = z.infer<typeof userDetailSchema>;

export const userPageSchema = userPage;

export const importReportSchema = importReportView;
export type ImportReport = z.infer<typeof importReportSchema>;

export const actorSchema = actorView;
export type Actor = z.infer<typeof actorSchema>;

export const auditEntrySchema = auditEntryView;
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export const auditPageSchema = auditPage;

export const mergeSchema = mergeView;
export type Merge = z.infer<typeof mergeSchema>;
export const mergePageSchema = mergePage;

export const mergeResultSchema = mergeResultView;

export const mergePreviewSchema = mergePreviewView;
export type MergePreview = z.infer<typeof mergePreviewSchema>;

export const mergeSuggestionSchema = mergeSuggestionView;
export type MergeSuggestion = z.infer<typeof mergeSuggestionSchema>;
export const mergeSuggestionPageSchema = mergeSuggestionPage;

/** The fields of a connection most pages need (the connections pages parse the full view). */
export const connectionSummarySchema = connectionView.pick({ id: true, name: true, appType: true, appid: true, scenarios: true }).loose();
export type ConnectionSummary = z.infer<typeof connectionSummarySchema>;
export const connectionListSchema = z.object({ connections: z.array(connectionSummarySchema) });

export const loginStatsSchema = loginStatsView;
export type LoginStats = z.infer<typeof loginStatsSchema>;

export const SCENARIOS = SCENARIO_IDS;

export const loginEventSchema = loginEventView;
export type LoginEvent = z.infer<typeof loginEventSchema>;
export const loginEventPageSchema = loginEventPage;
