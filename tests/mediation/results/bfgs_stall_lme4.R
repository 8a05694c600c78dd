# Reference values for tests/mediation/test_mixed.py: lme4's REML fit of the model on which
# statsmodels MixedLM's BFGS stalls. Data: bfgs_stall.csv (make_bfgs_stall.py beside this script).
# R 4.2.2, lme4 1.1-31 (Debian r-cran-lme4). Run from the repository root:
#   Rscript tests/mediation/results/bfgs_stall_lme4.R
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
here <- "tests/mediation/results"
d <- read.csv(file.path(here, "bfgs_stall.csv"))
f <- lmer(trust ~ fac + lead + x + (1 | site), data = d, REML = TRUE)
V <- as.matrix(vcov(f))
out <- list(params = as.list(fixef(f)), names = names(fixef(f)), cov = unname(V),
            sigma_site = attr(VarCorr(f)$site, "stddev")[[1]], sigma = sigma(f),
            reml_loglik = as.numeric(logLik(f)), lme4 = as.character(packageVersion("lme4")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "bfgs_stall_lme4.json"))
