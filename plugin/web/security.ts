import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet with one deliberate change: the Rewards tab may be framed by the panel, so
 * frame-ancestors names the panel's origin and X-Frame-Options (which can't) is off.
 */
export function securityHeaders(panelOrigin?: string): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': panelOrigin ? ["'self'", panelOrigin] : ["'self'"],
      },
    },
    frameguard: false,
  });
}
