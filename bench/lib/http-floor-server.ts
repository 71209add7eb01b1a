/**
 * The ingest bench's HTTP floor: the same signed POST the sidecar takes, answered by a bare
 * express handler that reads the body, checks its Standard Webhooks signature and answers JSON,
 * with no database. What it can serve bounds what any plugin over HTTP could: at concurrency 1
 * a delivery costs at least this request plus the baseline's ledger transaction. Run as a child
 * process like the sidecar, with WEBHOOK_SECRET and PORT in the environment; prints "ready".
 */
import express from 'express';
import { Webhook } from 'standardwebhooks';

const verifier = new Webhook(process.env.WEBHOOK_SECRET ?? '');
const app = express();
app.post('/hooks/events', express.raw({ type: '*/*', limit: '256kb' }), (req, res) => {
  const body = (req.body as Buffer).toString('utf8');
  verifier.verify(body, req.headers as Record<string, string>);
  const event = JSON.parse(body) as { id: string };
  res.json({ event: event.id, outcome: 'applied', points: 0 });
});
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
