# Reference values for tests/mediation/test_student.py: R mediation's multilevel `student` example
# (vignette "Causal mediation analysis of multilevel data", Tingley, Yamamoto, Hirose, Keele & Imai
# 2014, J. Stat. Softw. 59(5), section 7) and linear random-intercept models on the same data.
# R 4.2.2, lme4 1.1-31 (Debian r-cran-lme4), sandwich 3.0-2, mediation 4.5.1 built from its public
# source (github kosukeimai/mediation, CRAN release commit e81c6db) with R CMD INSTALL.
# Run from the repository root:
#   Rscript tests/mediation/results/student.R
# Reads student_data/student.csv and school.csv (an extract of R mediation's `student` and `school`
# data, GPL (>= 2): see student_data/README.md); writes them first if absent, and checks that they
# equal the package's data. Writes student.json: per case, the coefficients and their covariance,
# the plug-in effects computed from the coefficients in closed form (the quantity facmech reports)
# and R mediation's quasi-Bayesian summary: mean of the draws (median for the proportion
# mediated), 2.5% and 97.5% quantiles, p-value, and the SD of the draws.
#
# Draws. `mediate` holds sims x n matrices (n = 9679), so the Monte Carlo draws of the linear and
# glm cases are CHUNKS independent `mediate(..., sims = CHUNK)` runs with seeds 2026, 2027, ...,
# pooled (CHUNKS x CHUNK = 10000 draws) and summarized as `mediate`'s summary does (mean, quantile
# type 7, mediation:::pval). The vignette glmer case is one run of GLMER_SIMS = 1000 draws (the
# vignette uses 100), set.seed(2014).
suppressPackageStartupMessages({library(lme4); library(mediation); library(sandwich)
  library(jsonlite)})
here <- "tests/mediation/results"
dat <- file.path(here, "student_data")
CHUNKS <- as.integer(Sys.getenv("CHUNKS", "5"))
CHUNK <- as.integer(Sys.getenv("CHUNK", "2000"))
GLMER_SIMS <- as.integer(Sys.getenv("GLMER_SIMS", "1000"))

# -- the data: R mediation's, exported once, checked on every run -------------------------------
data("student", package = "mediation")
data("school", package = "mediation")
keep <- c("SCH_ID", "catholic", "attachment", "fight", "late", "score", "free", "smorale", "coed",
          "gender", "income", "pared")
if (!file.exists(file.path(dat, "student.csv"))) {
  write.csv(student[keep], file.path(dat, "student.csv"), row.names = FALSE)
  write.csv(school, file.path(dat, "school.csv"), row.names = FALSE)
}
d <- read.csv(file.path(dat, "student.csv"))
sch <- read.csv(file.path(dat, "school.csv"))
stopifnot(isTRUE(all.equal(d, student[keep], check.attributes = FALSE)),
          isTRUE(all.equal(sch, school[names(sch)], check.attributes = FALSE)))

# -- helpers ------------------------------------------------------------------------------------
fe <- function(f) {
  b <- if (inherits(f, "merMod")) fixef(f) else coef(f)
  V <- as.matrix(vcov(f))
  out <- list(params = as.list(b), bse = as.list(sqrt(diag(V))), names = names(b),
              cov = unname(V), nobs = nobs(f))
  if (inherits(f, "merMod")) {
    vc <- as.data.frame(VarCorr(f))
    out$varcorr <- vc[, c("grp", "var1", "var2", "sdcor")]
    out$reml <- isREML(f)
    out$loglik <- as.numeric(logLik(f))
    out$convergence <- f@optinfo$conv$lme4$messages
    if (isLMM(f)) out$sigma <- sigma(f)
  } else if (inherits(f, "glm")) {
    # site-clustered sandwich with G/(G-1) (n-1)/(n-k) (vcovCL's default for glm is HC0)
    out$vcovCL_HC1 <- unname(as.matrix(vcovCL(f, cluster = d$SCH_ID, type = "HC1")))
  }
  out
}

plugin_linear <- function(fm, fy, treat, med, t0, t1) {
  # ACME(t) = alpha (t1 - t0) (b + d t), ADE(t) = (c + d E[M(t)]) (t1 - t0); E[M(t)] from the
  # fixed part (facmech) and, for merMod mediators, also with the site BLUPs (R mediation adds
  # them to its mediator predictions)
  bm <- if (inherits(fm, "merMod")) fixef(fm) else coef(fm)
  by <- if (inherits(fy, "merMod")) fixef(fy) else coef(fy)
  it <- paste0(treat, ":", med)
  dd <- if (it %in% names(by)) by[[it]] else 0
  X <- model.matrix(fm)
  blup <- if (inherits(fm, "merMod")) mean(ranef(fm)[[1]][as.character(d$SCH_ID), 1]) else 0
  mbar <- function(t) { X2 <- X; X2[, treat] <- t; mean(X2 %*% bm) }
  a <- bm[[treat]] * (t1 - t0)
  acme <- function(t) a * (by[[med]] + dd * t)
  ade <- function(t, u = 0) (by[[treat]] + dd * (mbar(t) + u)) * (t1 - t0)
  out <- list(nie_control = acme(t0), nie_treated = acme(t1), nde_control = ade(t0),
              nde_treated = ade(t1))
  out$total <- out$nde_control + out$nie_treated
  out$nie <- (out$nie_control + out$nie_treated) / 2
  out$nde <- (out$nde_control + out$nde_treated) / 2
  out$prop_mediated <- out$nie / out$total
  out$tmint <- out$nie_treated - out$nie_control
  out$mean_site_blup_mediator <- blup
  out$nde_control_with_blups <- ade(t0, blup)
  out$nde_treated_with_blups <- ade(t1, blup)
  out
}

plugin_binary <- function(fm, fy, treat, med) {
  # psi(ty; tm) = mean_i sum_m P(M = m | tm, X_i) expit(eta_Y(ty, m, X_i)), logit models
  X <- model.matrix(fm)
  Z <- model.matrix(fy)
  psi <- function(ty, tm) {
    Xm <- X; Xm[, treat] <- tm
    p1 <- plogis(Xm %*% coef(fm))
    ey <- function(m) {
      Zy <- Z; Zy[, treat] <- ty; Zy[, med] <- m
      ia <- paste0(treat, ":", med)
      if (ia %in% colnames(Zy)) Zy[, ia] <- ty * m
      plogis(Zy %*% coef(fy))
    }
    mean(p1 * ey(1) + (1 - p1) * ey(0))
  }
  out <- list(nie_control = psi(0, 1) - psi(0, 0), nie_treated = psi(1, 1) - psi(1, 0),
              nde_control = psi(1, 0) - psi(0, 0), nde_treated = psi(1, 1) - psi(0, 1),
              total = psi(1, 1) - psi(0, 0))
  out$nie <- (out$nie_control + out$nie_treated) / 2
  out$nde <- (out$nde_control + out$nde_treated) / 2
  out$prop_mediated <- out$nie / out$total
  out$tmint <- out$nie_treated - out$nie_control
  out
}

# R mediation's draws -> facmech's names
KEYS <- c(nie_control = "d0", nie_treated = "d1", nde_control = "z0", nde_treated = "z1",
          total = "tau", nie = "d.avg", nde = "z.avg", prop_mediated = "n.avg",
          prop_mediated_control = "n0", prop_mediated_treated = "n1")

summ <- function(sims) {
  lapply(names(KEYS), function(k) {
    s <- sims[[k]]
    est <- if (startsWith(k, "prop")) median(s) else mean(s)
    list(estimate = est, ci = unname(quantile(s, c(0.025, 0.975))),
         p_value = mediation:::pval(s, est), sd = sd(s))
  }) |> setNames(names(KEYS))
}

draws <- function(fm, fy, treat, med, t0, t1, chunks = CHUNKS, sims = CHUNK, seed = 2026) {
  acc <- list()
  el <- 0
  for (i in seq_len(chunks)) {
    set.seed(seed + i - 1)
    t_start <- proc.time()[["elapsed"]]
    m <- mediate(fm, fy, treat = treat, mediator = med, control.value = t0, treat.value = t1,
                 sims = sims)
    el <- el + proc.time()[["elapsed"]] - t_start
    for (k in names(KEYS)) acc[[k]] <- c(acc[[k]], as.numeric(m[[paste0(KEYS[[k]], ".sims")]]))
    rm(m); invisible(gc())
  }
  acc$tmint <- acc$nie_treated - acc$nie_control
  list(sims = acc, seconds = el, n_draws = chunks * sims)
}

cases <- list()
run <- function(name, fm, fy, treat, med, t0 = 0, t1 = 1, binary = FALSE, ...) {
  dr <- draws(fm, fy, treat, med, t0, t1, ...)
  pl <- if (binary) plugin_binary(fm, fy, treat, med) else plugin_linear(fm, fy, treat, med, t0, t1)
  s <- summ(dr$sims)
  tm <- dr$sims$tmint
  s$tmint <- list(estimate = mean(tm), ci = unname(quantile(tm, c(0.025, 0.975))),
                  p_value = mediation:::pval(tm, mean(tm)), sd = sd(tm))
  cases[[name]] <<- list(mediator = fe(fm), outcome = fe(fy), plugin = pl, mediate = s,
                         draws = dr$n_draws, seconds = dr$seconds, control = t0, treated = t1,
                         treatment = treat, mediator_name = med)
  cat(name, "done in", dr$seconds, "s\n")
}

# (1) the vignette's first example, verbatim: binary mediator and outcome, glmer (Laplace), random
# intercept for school in the mediator model, random intercept and attachment slope in the outcome
# model. statsmodels has no frequentist GLMM, so facmech does not fit this model; the numbers are
# kept as the reference the vignette prints (see test_student.py).
t_start <- proc.time()[["elapsed"]]
med.fit <- glmer(attachment ~ catholic + gender + income + pared + (1 | SCH_ID),
                 family = binomial(link = "logit"), data = d)
out.fit <- glmer(fight ~ catholic * attachment + gender + income + pared + (1 + attachment | SCH_ID),
                 family = binomial(link = "logit"), data = d)
fit_s <- proc.time()[["elapsed"]] - t_start
set.seed(2014)
t_start <- proc.time()[["elapsed"]]
m <- mediate(med.fit, out.fit, treat = "catholic", mediator = "attachment", sims = GLMER_SIMS)
el <- proc.time()[["elapsed"]] - t_start
sims <- lapply(KEYS, function(k) as.numeric(m[[paste0(k, ".sims")]]))
cases$vignette_glmer <- list(
  mediator = fe(med.fit), outcome = fe(out.fit), mediate = summ(sims),
  summary = list(nie_control = m$d0, nie_treated = m$d1, nde_control = m$z0,
                 nde_treated = m$z1, total = m$tau.coef, nie = m$d.avg, nde = m$z.avg,
                 prop_mediated = m$n.avg),
  draws = GLMER_SIMS, seconds = el, fit_seconds = fit_s, treatment = "catholic",
  mediator_name = "attachment")
rm(m); invisible(gc())
cat("vignette_glmer done in", el, "s\n")

# (2) the same two models without random effects (glm, logit): what facmech fits with
# mediator_family = outcome_family = "binomial", interaction = TRUE
run("glm",
    glm(attachment ~ catholic + gender + income + pared, family = binomial("logit"), data = d),
    glm(fight ~ catholic * attachment + gender + income + pared, family = binomial("logit"),
        data = d),
    "catholic", "attachment", binary = TRUE)

# (3) linear random-intercept models (lmer, REML): Catholic school -> tardiness -> math score
run("lmer",
    lmer(late ~ catholic + gender + income + pared + (1 | SCH_ID), data = d),
    lmer(score ~ catholic + late + gender + income + pared + (1 | SCH_ID), data = d),
    "catholic", "late")
# (4) with a treatment-by-mediator interaction (test of ACME(treated) - ACME(control))
run("lmer_interaction",
    lmer(late ~ catholic + gender + income + pared + (1 | SCH_ID), data = d),
    lmer(score ~ catholic * late + gender + income + pared + (1 | SCH_ID), data = d),
    "catholic", "late")
# (5) continuous school-level treatment: free-lunch category, control.value = 3, treat.value = 4
# (the values of the vignette's second example)
run("lmer_dose",
    lmer(late ~ free + gender + income + pared + (1 | SCH_ID), data = d),
    lmer(score ~ free + late + gender + income + pared + (1 | SCH_ID), data = d),
    "free", "late", t0 = 3, t1 = 4)

# (6) the vignette's second example, verbatim: school-level mediator fitted by lm on the school
# data, student-level outcome by lmer. facmech fits both models on one data set, so only the
# coefficients are compared (the mediator and outcome models have different rows).
sm.fit <- lm(smorale ~ free + catholic + coed, data = sch)
so.fit <- lmer(late ~ free + smorale + catholic + coed + gender + income + pared + (1 | SCH_ID),
               data = d)
set.seed(2014)
t_start <- proc.time()[["elapsed"]]
m <- mediate(sm.fit, so.fit, treat = "free", mediator = "smorale", control.value = 3,
             treat.value = 4, sims = GLMER_SIMS)
el <- proc.time()[["elapsed"]] - t_start
sims <- lapply(KEYS, function(k) as.numeric(m[[paste0(k, ".sims")]]))
cases$vignette_group_level <- list(
  mediator = fe(sm.fit), outcome = fe(so.fit), mediate = summ(sims), draws = GLMER_SIMS,
  seconds = el, control = 3, treated = 4, treatment = "free", mediator_name = "smorale",
  plugin = list(nie = coef(sm.fit)[["free"]] * fixef(so.fit)[["smorale"]],
                nde = fixef(so.fit)[["free"]]))
cat("vignette_group_level done in", el, "s\n")

cases$versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                       mediation = as.character(packageVersion("mediation")),
                       sandwich = as.character(packageVersion("sandwich")))
writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "student.json"))
