#!/usr/bin/env Rscript
# Reference forecasts for the benchmark: R's Prophet and R's `forecast` package
# (ETS and auto.arima), fitted on the same series and holdouts as our forecasters.
#
# Input (stdin), one JSON object:
#   {"level": 0.8, "time_limit": 120,
#    "jobs": [{"id": "peyton#0", "ds": [epoch seconds...], "y": [...], "horizon": 30,
#              "freq_seconds": 86400, "season_length": 7, "models": ["prophet", "ets", "arima"]}]}
# Output (stdout), one JSON object and nothing else:
#   {"r_version": "...", "prophet_version": "...", "forecast_version": "...",
#    "results": [{"id": ..., "model": "r-prophet" | "r-ets" | "r-arima", "mean": [...], "lower": [...],
#                 "upper": [...], "seconds": n, "note"?: "...", "error"?: "..."}]}
# "time_limit" (seconds, optional, default 120, null for none) bounds each fit: every fit runs in a forked
# R process that is killed when it overruns, and the result carries {"error": "exceeded the ... limit"}.
# Progress goes to stderr as "done i/n" lines, one per (job, model) pair.
#
# `seconds` is the elapsed wall-clock time of fit + predict only: R start-up, package loading and JSON
# parsing are excluded, and each model is warmed up once on a small synthetic series before timing so
# that lazy loading (e.g. of Prophet's compiled Stan model) is not billed to the first job.
#
# Usage: Rscript bench/reference.R < job.json > result.json

# Everything printed while working (Stan's optimiser chatter, package start-up messages) is sent to
# stderr; only the final JSON goes to stdout.
sink(stderr(), type = "output")

suppressPackageStartupMessages({
  library(jsonlite)
  have_prophet <- requireNamespace("prophet", quietly = TRUE)
  have_forecast <- requireNamespace("forecast", quietly = TRUE)
  if (have_prophet) library(prophet)
  if (have_forecast) library(forecast)
})

pkg_version <- function(p) {
  if (requireNamespace(p, quietly = TRUE)) as.character(utils::packageVersion(p)) else NA_character_
}

progress <- function(done, total) {
  cat(sprintf("done %d/%d\n", done, total), file = stderr())
  flush(stderr())
}

# Runs `expr` collecting (not printing) warnings; returns list(value, warnings).
with_warnings <- function(expr) {
  warns <- character(0)
  value <- withCallingHandlers(expr, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = unique(warns))
}

# ---- models: each returns list(mean, lower, upper, note) --------------------------------------------

fit_prophet <- function(ds, y, horizon, freq_seconds, level) {
  if (!have_prophet) stop("R package 'prophet' is not installed (apt-get install -y r-cran-prophet)")
  df <- data.frame(ds = as.POSIXct(ds, origin = "1970-01-01", tz = "UTC"), y = y)
  m <- NULL
  # Stan prints through R's console; capture.output swallows it (we are sunk to stderr anyway).
  utils::capture.output(
    m <- suppressMessages(prophet::prophet(df, interval.width = level))
  )
  future <- prophet::make_future_dataframe(m, periods = horizon, freq = freq_seconds, include_history = FALSE)
  fc <- NULL
  utils::capture.output(fc <- suppressMessages(stats::predict(m, future)))
  list(mean = fc$yhat, lower = fc$yhat_lower, upper = fc$yhat_upper, note = NULL)
}

fc_to_list <- function(fc, note = NULL) {
  list(
    mean = as.numeric(fc$mean),
    lower = as.numeric(fc$lower[, 1]),
    upper = as.numeric(fc$upper[, 1]),
    note = note
  )
}

fit_ets <- function(y, horizon, season_length, level) {
  if (!have_forecast) stop("R package 'forecast' is not installed (apt-get install -y r-cran-forecast)")
  series <- stats::ts(y, frequency = max(1, season_length))
  if (season_length > 24) {
    fc <- forecast::stlf(series, h = horizon, level = level * 100)
    return(fc_to_list(fc, sprintf(
      "season_length %d > 24 is beyond ets(); used stlf() (STL decomposition + ETS on the seasonally adjusted series, %s)",
      season_length, fc$method
    )))
  }
  fit <- forecast::ets(series)
  fc_to_list(forecast::forecast(fit, h = horizon, level = level * 100), fit$method)
}

fit_arima <- function(y, horizon, season_length, level) {
  if (!have_forecast) stop("R package 'forecast' is not installed (apt-get install -y r-cran-forecast)")
  series <- stats::ts(y, frequency = max(1, season_length))
  # Defaults: stepwise search, approximation = (n > 150 | frequency > 12), then exact (CSS-ML) refits of
  # the best approximate models until one is usable. On long series those refits dominate: Peyton
  # Manning (2,875 days, season 7) takes 10 s of search and 180 s of refits that fail one after another.
  fit <- forecast::auto.arima(series, stepwise = TRUE)
  method <- tryCatch(forecast:::arima.string(fit), error = function(e) NULL)
  fc_to_list(forecast::forecast(fit, h = horizon, level = level * 100), method)
}

MODEL_NAMES <- c(prophet = "r-prophet", ets = "r-ets", arima = "r-arima")

# Runs fun() in a forked R process and returns its value; after `limit` seconds the child is killed and
# this stops with a time-limit error. setTimeLimit() cannot bound these fits: auto.arima wraps every
# candidate fit in try(), which swallows the time-limit error (R clears the limit when it fires) and
# carries on, and Stan's optimiser is C++. Warnings raised in the child are re-raised here.
# limit = Inf (or a platform without fork) runs fun() in this process.
capped <- function(fun, limit) {
  if (.Platform$OS.type != "unix" || !is.finite(limit)) return(fun())
  job <- parallel::mcparallel(with_warnings(fun()), silent = TRUE, mc.set.seed = FALSE)
  got <- parallel::mccollect(job, wait = FALSE, timeout = limit)
  if (is.null(got)) {
    tools::pskill(job$pid)
    suppressWarnings(parallel::mccollect(job, wait = TRUE))
    stop(sprintf("exceeded the %g s time limit (stopped)", limit), call. = FALSE)
  }
  out <- got[[1]]
  if (inherits(out, "try-error")) {
    cond <- attr(out, "condition")
    stop(if (is.null(cond)) trimws(as.character(out)) else conditionMessage(cond), call. = FALSE)
  }
  if (is.null(out)) stop("the forked R process died without a result", call. = FALSE)
  for (w in out$warnings) warning(w, call. = FALSE)
  out$value
}

run_model <- function(model, job, level, limit = time_limit) {
  ds <- as.numeric(unlist(job$ds))
  y <- as.numeric(unlist(lapply(job$y, function(v) if (is.null(v)) NA_real_ else v)))
  horizon <- as.integer(job$horizon)
  season_length <- as.integer(if (is.null(job$season_length)) 1 else job$season_length)
  freq_seconds <- as.numeric(job$freq_seconds)
  timed <- function() {
    # Prophet's intervals are simulated; seeding per fit makes each result independent of job order.
    set.seed(42)
    t0 <- proc.time()[["elapsed"]]
    res <- switch(model,
      prophet = fit_prophet(ds, y, horizon, freq_seconds, level),
      ets = fit_ets(y, horizon, season_length, level),
      arima = fit_arima(y, horizon, season_length, level),
      stop(sprintf("unknown model '%s'", model))
    )
    res$seconds <- proc.time()[["elapsed"]] - t0
    res
  }
  # A bound per fit, so one slow fit cannot hold up the whole benchmark; overruns are reported as errors.
  out <- with_warnings(capped(timed, limit))
  res <- out$value
  notes <- c(res$note, if (length(out$warnings)) paste("warning:", out$warnings))
  list(
    mean = res$mean, lower = res$lower, upper = res$upper, seconds = res$seconds,
    note = if (length(notes)) paste(notes, collapse = "; ") else NULL
  )
}

# One untimed fit per model type on a small synthetic series, so one-off costs (lazy loading of
# namespaces, Stan model DSO) are not charged to the first timed job.
warm_up <- function(models, level) {
  n <- 60
  job <- list(
    ds = as.list(1.6e9 + 86400 * (0:(n - 1))),
    y = as.list(10 + sin(2 * pi * (0:(n - 1)) / 7) + 0.01 * (0:(n - 1))),
    horizon = 3, season_length = 7, freq_seconds = 86400
  )
  # In this process (limit Inf), so forked fits inherit the warmed-up state.
  for (model in models) {
    try(utils::capture.output(suppressMessages(run_model(model, job, level, limit = Inf))), silent = TRUE)
  }
}

# ---- main -------------------------------------------------------------------------------------------

stdin_con <- file("stdin")
input <- paste(readLines(stdin_con, warn = FALSE), collapse = "\n")
close(stdin_con)
req <- jsonlite::fromJSON(input, simplifyVector = FALSE)
level <- if (is.null(req$level)) 0.8 else as.numeric(req$level)
# Wall-clock bound (seconds) on each fit; see capped(). Absent means 120; null (JSON of Infinity) none.
time_limit <- if (!("time_limit" %in% names(req))) 120 else if (is.null(req$time_limit)) Inf else as.numeric(req$time_limit)
jobs <- req$jobs

job_models <- lapply(jobs, function(job) {
  ms <- unlist(job$models)
  if (is.null(ms)) c("prophet", "ets", "arima") else ms
})
total <- sum(vapply(job_models, length, integer(1)))
warm_up(unique(unlist(job_models)), level)

results <- vector("list", total)
done <- 0L
for (j in seq_along(jobs)) {
  job <- jobs[[j]]
  for (model in job_models[[j]]) {
    name <- if (model %in% names(MODEL_NAMES)) MODEL_NAMES[[model]] else paste0("r-", model)
    r <- tryCatch(run_model(model, job, level), error = function(e) list(error = conditionMessage(e)))
    entry <- list(id = job$id, model = name)
    if (!is.null(r$error)) {
      entry$mean <- I(numeric(0))
      entry$lower <- I(numeric(0))
      entry$upper <- I(numeric(0))
      entry$seconds <- NA_real_
      entry$error <- r$error
    } else {
      # I() keeps length-1 vectors as JSON arrays (horizon = 1).
      entry$mean <- I(as.numeric(r$mean))
      entry$lower <- I(as.numeric(r$lower))
      entry$upper <- I(as.numeric(r$upper))
      entry$seconds <- r$seconds
      if (!is.null(r$note)) entry$note <- r$note
    }
    done <- done + 1L
    results[[done]] <- entry
    progress(done, total)
  }
}

out <- list(
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  prophet_version = pkg_version("prophet"),
  forecast_version = pkg_version("forecast"),
  results = results
)
json <- jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null")
sink(type = "output")
cat(json, "\n", sep = "", file = stdout())
