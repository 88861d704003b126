/**
 * The fleet chains' places from the suite's side: their domains and staging buckets (set up through
 * the same place clients a worker uses, STS AssumeRole for the role's account), and each place's
 * emulator state for the fleet invariants.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { PlaceClients } from '../src/aws/places.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import type { PlaceStates } from './invariants-fleet.js';
import { domainOfKey, FLEET_PLACES, placeKeyOf, type FleetPlace } from './plan-fleet.js';
import type { Plan } from './plan.js';

export function controlAt(control: EmulatorControl, place: FleetPlace): EmulatorControl {
  if (!place.region) return control;
  return control.at({ region: place.region, ...(place.roleArn ? { roleArn: place.roleArn } : {}) });
}

/** Each fleet place's state (the default place's too), by place key. */
export async function fleetPlaceStates(control: EmulatorControl): Promise<PlaceStates> {
  const states = await Promise.all(FLEET_PLACES.map((p) => controlAt(control, p).state()));
  return Object.fromEntries(FLEET_PLACES.map((p, i) => [p.key, states[i]!]));
}

/** Placed domains at their places (plain names are seeded with the others), and each place's staging bucket. */
export async function setUpFleetFixtures(plan: Plan, control: EmulatorControl, places: PlaceClients) {
  const fleets = plan.chains.filter((c) => c.kind === 'fleet');
  if (fleets.length === 0) return;
  for (const place of FLEET_PLACES.filter((p) => p.region)) {
    const names = fleets
      .flatMap((c) => c.domains)
      .filter((key) => placeKeyOf(key) === place.key)
      .map((key) => ({ name: domainOfKey(key) }));
    if (names.length > 0) await controlAt(control, place).seedDomains(names);
    const clients = await places.clientsFor({
      region: place.region!,
      ...(place.roleArn ? { roleArn: place.roleArn } : {}),
      ...(place.externalId ? { externalId: place.externalId } : {}),
    });
    await clients.s3.send(new CreateBucketCommand({ Bucket: place.bucket! }));
  }
}
