import { continuous, type JobDefinition } from './job-definition';

export const dispatchOutbox: JobDefinition = {
  name: 'dispatch-outbox',
  schedule: '* * * * *',
  description: 'Sends due outbox actions (credit, discount lines) to the panel, with retries.',
  period: continuous,
  run: async ({ deps }) => ({ ...(await deps.dispatchOutbox()) }),
};
