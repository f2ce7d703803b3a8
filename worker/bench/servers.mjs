// The bench's origin and key servers, in their own process so the load generator's event
// loop is not shared with them. Reads the public keys as JSON on argv[2], prints its URLs.
import http from 'node:http';

const { albKeys, jwks } = JSON.parse(process.argv[2]);
const listen = (handler) => new Promise((resolve) => {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
});

const origin = await listen((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
});
const alb = await listen((req, res) => {
  const pem = albKeys[req.url.slice(1)];
  res.writeHead(pem ? 200 : 404);
  res.end(pem ?? '');
});
const cognito = await listen((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(jwks));
});
process.stdout.write(JSON.stringify({ origin, alb, cognito }) + '\n');
