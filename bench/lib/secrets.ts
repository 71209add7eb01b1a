/** The secrets every bench gives the plugin it starts (never used outside a bench database). */
export const SECRETS = {
  webhook: `whsec_${Buffer.from('bench-webhook-secret-0123456789abcdef').toString('base64')}`,
  sso: 'bench-sso-secret-0123456789abcdef0123456789',
  session: 'bench-session-secret-0123456789abcdef012345',
};
