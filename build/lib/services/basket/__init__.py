"""The basket service: guest and signed-in baskets, bundles and two totals."""
