/**
 * Metric families (domain/metrics.ts) written in the Prometheus text exposition format or OpenMetrics by
 * prom-client, the Prometheus client library for Node: escaping of label values and help text, number
 * formatting (NaN, +Inf), the `# EOF` of OpenMetrics and the content types are its job, not ours.
 */
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';
import type { MetricFamily } from '../domain/metrics';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export function contentType(format: ExpositionFormat): RegistryContentType {
  return format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
}

/** A fresh registry holding these families (one gauge or counter per family, every sample set). */
export function registryOf(families: readonly MetricFamily[], format: ExpositionFormat = 'prometheus'): Registry<RegistryContentType> {
  const reg = new Registry<RegistryContentType>();
  reg.setContentType(contentType(format));
  for (const fam of families) {
    const labelNames = fam.labelNames.filter((l) => fam.samples.some((s) => s.labels[l] !== undefined));
    if (fam.type === 'counter') {
      // OpenMetrics writes the _total suffix itself; the family name is the name without it
      const c = new Counter({ name: fam.name, help: fam.help, labelNames, registers: [reg] });
      for (const s of fam.samples) c.inc(s.labels, s.value);
    } else {
      const g = new Gauge({ name: fam.name, help: fam.help, labelNames, registers: [reg] });
      for (const s of fam.samples) g.set(s.labels, s.value);
    }
  }
  return reg;
}

/** The exposition text of these families. */
export async function exposition(families: readonly MetricFamily[], format: ExpositionFormat = 'prometheus'): Promise<string> {
  return registryOf(families, format).metrics();
}

/** Several registries' texts as one document (OpenMetrics: one `# EOF`, at the end). */
export async function joinExpositions(registries: Registry<RegistryContentType>[], format: ExpositionFormat): Promise<string> {
  const parts = await Promise.all(registries.map((r) => r.metrics()));
  if (format === 'prometheus') return parts.filter((p) => p.trim()).join('\n');
  return parts.map((p) => p.replace(/# EOF\n?$/, '')).filter((p) => p.trim()).join('') + '# EOF\n';
}
