import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateCompose } from '../../scripts/validate-compose.js';

describe('docker-compose.yml', () => {
  it('is valid as checked in', () => {
    expect(validateCompose(readFileSync('docker-compose.yml', 'utf8'))).toEqual([]);
  });

  it('catches a dangling dependency, an unpinned image and a missing search attribute', () => {
    const broken = readFileSync('docker-compose.yml', 'utf8')
      .replace('image: temporalio/ui:2.42.1', 'image: temporalio/ui:latest')
      .replace(
        'condition: service_completed_successfully',
        'condition: service_completed_successfully\n      ghost:\n        condition: service_started',
      )
      .replace('RolloutFailedDomains=Int', '');
    const errors = validateCompose(broken);
    expect(errors).toEqual(
      expect.arrayContaining([
        'services.temporal-ui.image: pin a version (got temporalio/ui:latest)',
        'services.worker.depends_on: unknown service ghost',
        'services.temporal-setup: does not create search attribute RolloutFailedDomains=Int',
      ]),
    );
  });
});
