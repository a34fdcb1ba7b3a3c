/** The scrape config "Copy Prometheus Scrape Config" copies (promtool and a real Prometheus load it in the metrics stage). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrapeConfigYaml } from '../../../extension/domain/scrapeConfig';

test('no SSH hosts: the exporter job only', () => {
  const y = scrapeConfigYaml([]);
  assert.match(y, /^scrape_configs:\n {2}- job_name: "ipc"\n {4}static_configs: \[\{ targets: \["127\.0\.0\.1:9863"\] \}\]\n$/m);
  assert.doesNotMatch(y, /probe/);
});

test('SSH hosts: one multi-target job, every host a quoted target, the exporter as __address__', () => {
  const y = scrapeConfigYaml(['db1', 'postgres@10.0.0.7:2222', '[::1]:22'], { exporter: '10.1.1.1:9999' });
  assert.match(y, /^ {4}metrics_path: \/probe$/m);
  assert.match(y, /^ {6}- targets: \["db1", "postgres@10\.0\.0\.7:2222", "\[::1\]:22"\]$/m);
  assert.match(y, /replacement: "10\.1\.1\.1:9999"/);
  assert.match(y, /^# {3}ipcx serve --listen 10\.1\.1\.1:9999 --target db1 --target postgres@10\.0\.0\.7:2222 --target '\[::1\]:22'$/m);
});
