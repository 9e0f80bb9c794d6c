// Renders tests/fixtures/differential/aws-scp/README.md from generate-scp.mjs's statistics.
export function renderScpReadme(s, orgFiles) {
  return 'TODO\n'
}
