import { birthdayAndAnniversary } from './birthday-and-anniversary';
import { churnRisk } from './churn-risk';
import { dispatchOutbox } from './dispatch-outbox';
import { expirePoints } from './expire-points';
import { expiryWarnings } from './expiry-warnings';
import type { JobDefinition } from './job-definition';
import { releasePending } from './release-pending';
import { reviewTiers } from './review-tiers';
import { statements } from './statements';

/** Every scheduled job, once. The sidecar's cron, `plugin.jobs`, manifest.json and the CLI read this. */
export const JOBS = [
  releasePending,
  reviewTiers,
  dispatchOutbox,
  expirePoints,
  expiryWarnings,
  birthdayAndAnniversary,
  statements,
  churnRisk,
] as const satisfies readonly JobDefinition[];

export function findJob(name: string, jobs: readonly JobDefinition[] = JOBS): JobDefinition | undefined {
  return jobs.find((j) => j.name === name);
}
