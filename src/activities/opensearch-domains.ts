/**
 * OpenSearch Service domain reads the verified rollout needs: where a domain's data plane is.
 * One DescribeDomain per activity, mapped like the package calls.
 */
import { DescribeDomainCommand } from '@aws-sdk/client-opensearch';
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../model/failures.js';
import { toActivityFailure } from './aws-errors.js';
import { awsClientsFor, type ActivityDeps, type AtPlace } from './deps.js';

export interface DomainEndpoint {
  /** DescribeDomain's `Endpoint`, or `Endpoints.vpc` for a VPC domain: a host name (AWS) or a URL (the emulator). */
  endpoint: string;
  vpc: boolean;
}

export function createOpenSearchDomainActivities(deps: ActivityDeps) {
  return {
    /** DescribeDomain: the domain's data-plane endpoint. */
    async describeDomainEndpoint(input: AtPlace & { domain: string }): Promise<DomainEndpoint> {
      const { opensearch } = await awsClientsFor(deps, input.place);
      let status;
      try {
        ({ DomainStatus: status } = await opensearch.send(
          new DescribeDomainCommand({ DomainName: input.domain }),
        ));
      } catch (err) {
        throw toActivityFailure(err, { service: 'es', operation: 'DescribeDomain', domain: input.domain });
      }
      const vpcEndpoint = status?.Endpoints?.vpc;
      const endpoint = status?.Endpoint ?? vpcEndpoint;
      if (!endpoint)
        // A domain still being created has no endpoint yet; one that is ACTIVE for a package has.
        throw ApplicationFailure.create({
          type: FailureTypes.AwsRequestRejected,
          message: `DescribeDomain ${input.domain}: the domain has no endpoint (still being created, or deleted); give one in verification.endpoints`,
          nonRetryable: true,
        });
      return { endpoint, vpc: !status?.Endpoint && vpcEndpoint !== undefined };
    },
  };
}
