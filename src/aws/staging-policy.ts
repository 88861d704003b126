/**
 * The bucket policy a fleet's staging bucket needs when places are in other accounts: each place's
 * role copies the staged file into its own bucket, and across accounts that read is the staging
 * bucket owner's to grant (docs/fleets.md). One statement: s3:GetObject on the staging prefix, to
 * the places' roles. The emulator enforces it as S3 does.
 */
export function stagingReadPolicy(
  bucket: string,
  roleArns: readonly string[],
  prefix = 'package-rollouts/',
): string {
  if (roleArns.length === 0) throw new Error('stagingReadPolicy needs at least one role ARN');
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PackageRolloutsPlacesReadStagedFiles',
        Effect: 'Allow',
        Principal: { AWS: roleArns.length === 1 ? roleArns[0] : [...roleArns] },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
      },
    ],
  });
}
