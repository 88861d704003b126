/**
 * The command line of `rollouts iot-release` for one version of a package: `--attribute key=value`
 * per attribute (in order), then the flags a test adds. CLI tests start several releases of the
 * same package and differ only in these.
 */
export function iotReleaseArgs(
  packageName: string,
  versionName: string,
  options: { attributes?: Record<string, string>; flags?: string[] } = {},
): string[] {
  return [
    'iot-release',
    ...['--package-name', packageName, '--version-name', versionName],
    ...Object.entries(options.attributes ?? {}).flatMap(([key, value]) => ['--attribute', `${key}=${value}`]),
    ...(options.flags ?? []),
  ];
}
