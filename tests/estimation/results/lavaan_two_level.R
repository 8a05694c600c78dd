# Reference values for tests/estimation/test_measurement.py: a two-level SEM (lavaan, cluster =)
# fitted to the staff survey + site data of lavaan_two_level_data.csv (make_lavaan_data.py).
#   level 1 (staff within site): fw =~ x1..x4
#   level 2 (site):              fb =~ x1..x4 (same loadings, effect coding: mean loading 1, so
#                                the factor is on the metric of the item mean), fb ~ a*exposed,
#                                y ~ b*fb + c*exposed
# Run: Rscript tests/estimation/results/lavaan_two_level.R  (R 4.2.2, lavaan 0.6.14, Debian)
library(lavaan)
here <- "tests/estimation/results"
d <- read.csv(file.path(here, "lavaan_two_level_data.csv"))
model <- '
level: 1
  fw =~ NA*x1 + l1*x1 + l2*x2 + l3*x3 + l4*x4
level: 2
  fb =~ NA*x1 + l1*x1 + l2*x2 + l3*x3 + l4*x4
  fb ~ a*exposed
  y ~ b*fb + c*exposed
l1 + l2 + l3 + l4 == 4
'
fit <- sem(model, data = d, cluster = "site", estimator = "ML")
pe <- parameterEstimates(fit)
get <- function(lhs, op, rhs, level) {
  r <- pe[pe$lhs == lhs & pe$op == op & pe$rhs == rhs & pe$block == level, ]
  c(est = r$est[1], se = r$se[1])
}
out <- list(
  a = get("fb", "~", "exposed", 2), b = get("y", "~", "fb", 2), c = get("y", "~", "exposed", 2),
  var_fb = get("fb", "~~", "fb", 2), var_fw = get("fw", "~~", "fw", 1),
  l1 = get("fw", "=~", "x1", 1), l2 = get("fw", "=~", "x2", 1),
  l3 = get("fw", "=~", "x3", 1), l4 = get("fw", "=~", "x4", 1),
  converged = lavInspect(fit, "converged")
)
lines <- c("{", paste0("  \"lavaan\": \"", as.character(packageVersion("lavaan")), "\","))
keys <- setdiff(names(out), "converged")
for (k in keys) {
  lines <- c(lines, sprintf("  \"%s\": {\"est\": %.10g, \"se\": %.10g},", k, out[[k]]["est"],
                            out[[k]]["se"]))
}
lines <- c(lines, sprintf("  \"converged\": %s", tolower(as.character(out$converged))), "}")
writeLines(lines, file.path(here, "lavaan_two_level.json"))
print(summary(fit))
