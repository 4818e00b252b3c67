# 信用修复“一件事”助手 — one command to run (make run), one to test (make test).
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup services model pages run run-scaled shell test lint validate pytest pytest-unit pytest-model pytest-browser-free pytest-browser stories eval bench bench-profile bench-scaling bench-ratio bench-wechat bench-parsers clean screenshots

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

# Find a real Python 3.10 (a pyenv shim that cannot run 3.10 does not count).
PY_CANDIDATES := $(PYTHON) python3.10 $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) \
	/usr/local/bin/python3.10 /usr/bin/python3.10
PYTHON310 := $(firstword $(shell for p in $(PY_CANDIDATES); do "$$p" -c 'import sys; sys.exit(not sys.version.startswith("3.10."))' >/dev/null 2>&1 && echo "$$p"; done; true))

# Runtime defaults for development; override in the environment for production (README).
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0
export TMPDIR := $(CURDIR)/var/tmp
export VENV_BIN := $(BIN)
# This checkout's code wins over any other install of the package (git worktrees share a venv).
export PYTHONPATH := $(CURDIR)
export RASA_PORT ?= 5005
export ACTIONS_PORT ?= 5055
export CASESTORE_PORT ?= 8000
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export CASESTORE_URL ?= http://127.0.0.1:$(CASESTORE_PORT)
# Security (docs/security.md). Development: everything on 127.0.0.1, Rasa's HTTP API off (set
# RASA_API_TOKEN to turn it on, token-protected), the action server serves loopback only
# (ACTIONS_SHARED_SECRET empty), tracker key generated into var/tracker.key.
# APP_ENV=production refuses to start on any development default.
export APP_ENV ?= development
export RASA_HOST ?= 127.0.0.1
export ACTIONS_HOST ?= 127.0.0.1
export RASA_API_TOKEN ?=
export ACTIONS_SHARED_SECRET ?=
export TRACKER_ENCRYPTION_KEY ?=
export WIDGET_ALLOWED_ORIGINS ?= http://127.0.0.1:$(CASESTORE_PORT) http://localhost:$(CASESTORE_PORT)
export TRACKER_STORE_URL ?=
export TRACKER_SQLITE_PATH ?= $(CURDIR)/var/tracker.db
export LOCK_STORE_TYPE ?= in_memory
export REDIS_HOST ?= 127.0.0.1
export REDIS_PORT ?= 6379
export REDIS_PASSWORD ?=
# WeChat official account (docs/wechat.md); empty switches the channel off.
export WECHAT_TOKEN ?=
export WECHAT_APP_ID ?=
export WECHAT_APP_SECRET ?=
export WECHAT_ENCODING_AES_KEY ?=

help:
	@echo "make run    安装依赖、训练（如有变化）并启动全部服务 / set up, train if needed, start all services"
	@echo "make test   安装依赖并运行全部测试 / set up and run every test"
	@echo "make shell  在终端里与助手对话 / talk to the assistant in the terminal"
	@echo "make eval   留出问题集评测 / held-out guide question evaluation"
	@echo "make bench  性能基准 / benchmarks (starts the services itself)"
	@echo "make run-scaled REPLICAS=2  多副本部署（nginx + Redis + PostgreSQL）/ N replicas behind nginx"
	@echo "make bench-profile / bench-scaling  单轮耗时剖析 / 扩展性基准 (bench/README.md)"
	@echo "make bench-ratio  2 副本对 1 副本：两种部署同时启动、交替短窗口测 / 2 replicas vs 1, alternating windows"
	@echo "make bench-wechat  50 个微信用户同时发消息：5 秒内被动回复的比例 / WeChat 5-second rule"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "错误：未找到 Python 3.10。Rasa 3.6 只支持 Python 3.10，请先安装（例如 pyenv install 3.10.13，或 apt-get install python3.10 python3.10-venv），也可用 make PYTHON=/path/to/python3.10 指定。"; \
	  echo "Error: Python 3.10 not found. Rasa 3.6 needs Python 3.10: install it (e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv') or pass PYTHON=/path/to/python3.10."; \
	  exit 1; fi
	@echo ">> 使用 $(PYTHON310) 创建虚拟环境 $(VENV) / creating $(VENV)"
	@rm -rf $(VENV)
	@( "$(PYTHON310)" -m venv $(VENV) \
	  && $(BIN)/pip install -q --upgrade "pip<24.1" "setuptools>=70,<71" wheel \
	  && $(BIN)/pip install -q -e ".[dev]" \
	  && $(BIN)/pip check ) || { echo "安装失败，已清理 $(VENV) / install failed, $(VENV) removed"; rm -rf $(VENV); exit 1; }
	@mkdir -p var/tmp
	@touch $@

setup: $(STAMP)
	@mkdir -p var/tmp

# Train only when config, domain, data or the custom NLU component changed (fingerprint).
model: setup
	@fp=$$(cat config.yml $$(find domain data bot/nlu -type f \( -name '*.yml' -o -name '*.txt' -o -name '*.py' \) | sort) | sha256sum | cut -c1-16); \
	if [ -f models/.fingerprint ] && [ "$$(cat models/.fingerprint)" = "$$fp" ] && [ -f models/current.tar.gz ]; then \
	  echo ">> 模型已是最新，跳过训练 / model up to date ($$fp)"; \
	else \
	  echo ">> 训练模型 / training ($$fp)"; \
	  $(BIN)/rasa train --domain domain --data data --config config.yml --out models --fixed-model-name current --force \
	  && echo "$$fp" > models/.fingerprint; \
	fi

# Front-end pages (bot/pages: one vite project, ChatUI widget + later staff pages), built from the
# committed lockfile with the machine's Node (>= 20.19) into bot/pages/dist (git-ignored).
PAGES := bot/pages
PAGES_SRC := $(shell find $(PAGES)/src -type f 2>/dev/null) $(wildcard $(PAGES)/*.html) $(PAGES)/vite.config.js
$(PAGES)/node_modules/.ci-stamp: $(PAGES)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "错误：未找到 Node.js/npm（需要 Node 20.19 以上），请先安装（例如 apt-get install nodejs npm）。"; \
	  echo "Error: Node.js/npm not found (Node >= 20.19 needed): install it first (e.g. apt-get install nodejs npm)."; exit 1; }
	@mkdir -p var/tmp
	cd $(PAGES) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(PAGES)/dist/.built: $(PAGES)/node_modules/.ci-stamp $(PAGES_SRC)
	cd $(PAGES) && npm run --silent build
	@touch $@

pages: $(PAGES)/dist/.built

run: model pages
	@echo ""
	@echo "  对话接口 REST:      http://127.0.0.1:$(RASA_PORT)/webhooks/rest/webhook"
	@echo "  网页聊天 widget:    http://127.0.0.1:$(RASA_PORT)/webhooks/web/"
	@echo "  微信公众号 WeChat:  http://127.0.0.1:$(RASA_PORT)/webhooks/wechat/webhook"
	@echo "  动作服务 actions:   http://127.0.0.1:$(ACTIONS_PORT)/health"
	@echo "  案件库 case store:  http://127.0.0.1:$(CASESTORE_PORT)/healthz"
	@echo "  按 Ctrl-C 停止全部服务 / Ctrl-C stops everything"
	@if [ -z "$$CASESTORE_PUBLIC_URL" ]; then \
	  echo "  注意：未设置 CASESTORE_PUBLIC_URL，上传链接和告知书二维码只在本机可用（http://127.0.0.1:$(CASESTORE_PORT)）"; \
	  echo "  Note: CASESTORE_PUBLIC_URL is unset: upload links and notice QR codes work on this machine only"; fi
	@echo ""
	@$(BIN)/honcho start -f Procfile

shell: model
	@$(BIN)/python -m bot.action_server --actions actions --port $(ACTIONS_PORT) > var/actions.log 2>&1 & apid=$$!; \
	$(BIN)/python -m bot.casestore serve > var/casestore.log 2>&1 & cpid=$$!; \
	trap "kill $$apid $$cpid 2>/dev/null" EXIT; \
	$(BIN)/python -m bot.rasa_cli shell --model models --endpoints endpoints.yml

validate: setup
	$(BIN)/rasa data validate --domain domain --data data --config config.yml

# Debian packages and servers the tests need (chromium, fonts-noto-cjk, postgresql, redis-server):
# installed as root when missing, started on loopback; settings in var/test-services.env.
services:
	@mkdir -p var/tmp
	@bash tests/system/services.sh

# Test files run in parallel, one file per worker at a time (module fixtures start their stack
# once); TEST_WORKERS=1 runs them one after another. --durations shows where the time goes.
# Files that need the trained model (they start the real stack or load the model) run after
# training; the others (UNIT_TESTS) need no model, so `make test` runs them while the model trains.
# The real-browser files (Playwright's sync API) run on their own, never in a worker that also
# gets asyncio tests: a Playwright session left in a worker breaks the asyncio tests sent to it
# later (the browser files have no asyncio tests).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
BROWSER_TESTS := $(shell grep -l -e 'sync_playwright' -e 'from tests.browser' -e 'from tests.widget_steps' tests/test_*.py)
MODEL_MARKS := $(shell grep -l -E 'ChatStack|PatientStack|patient_stack|models/current|MODEL\b' tests/test_*.py)
MODEL_FOUND := $(filter-out $(BROWSER_TESTS),$(MODEL_MARKS))
# Browser files that need no model (the staff pages, the case store's headers) run while it trains.
BROWSER_MODEL_TESTS := $(filter $(MODEL_MARKS),$(BROWSER_TESTS))
BROWSER_FREE_TESTS := $(filter-out $(MODEL_MARKS),$(BROWSER_TESTS))
# The longest files first, so that neither worker is left with a long one at the end.
MODEL_FIRST := tests/test_rasa_patches.py tests/test_personas.py tests/test_scaled.py
MODEL_TESTS := $(foreach f,$(MODEL_FIRST),$(filter $(f),$(MODEL_FOUND))) $(filter-out $(MODEL_FIRST),$(MODEL_FOUND))
UNIT_TESTS := $(filter-out $(BROWSER_TESTS) $(MODEL_FOUND),$(wildcard tests/test_*.py))
PYTEST := source var/test-services.env && $(BIN)/python -m pytest -q
pytest: pytest-unit pytest-model pytest-browser-free pytest-browser

pytest-unit: setup services pages
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --durations=10 $(UNIT_TESTS)

pytest-model: model services pages
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --durations=10 $(MODEL_TESTS)

pytest-browser-free: setup services pages
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --durations=5 $(BROWSER_FREE_TESTS)

pytest-browser: model services pages
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --durations=5 $(BROWSER_MODEL_TESTS)

# Rasa test stories: every tests/test_*.yml, none of which is training data.
stories: model
	@rm -rf var/test-stories && mkdir -p var/test-stories && cp tests/test_*.yml var/test-stories/
	$(BIN)/python -m bot.rasa_cli test core --model models/current.tar.gz --stories var/test-stories \
	  --fail-on-prediction-errors --out results

eval: model
	$(BIN)/python -m bot.eval_guide

# ruff (rules in pyproject.toml) over bot/, actions/, tests/; formatting is not checked here.
lint: setup
	$(BIN)/ruff check bot actions tests bench

# make test on two cores: the virtualenv, the pages and the system packages are set up side by
# side; the model trains while the model-free tests, lint, data validation and the model-free
# browser files run (one after another, on the other core); then the model tests on every core;
# then the browser files that chat (on every core too) beside the test stories and the held-out
# evaluation. Output is kept per target (-O).
test:
	@mkdir -p var/tmp
	@$(MAKE) --no-print-directory -j3 --output-sync=target setup pages services
	@$(MAKE) --no-print-directory -j2 --output-sync=target model pytest-unit lint validate pytest-browser-free
	@$(MAKE) --no-print-directory pytest-model
	@$(MAKE) --no-print-directory -j2 --output-sync=target pytest-browser stories eval

bench: model
	$(BIN)/python bench/run_bench.py

# Where a turn's time goes (NLU, policies, action round trips, tracker, lock), turn 1 vs turn 40.
bench-profile: model services
	$(BIN)/python bench/profile.py

# Closed and open loop on 1 process, SANIC_WORKERS=2 and 2 replicas behind nginx (bench/README.md).
bench-parsers: setup
	$(BIN)/python bench/parsers.py

bench-scaling: model services
	$(BIN)/python bench/scaling.py

# WeChat's 5-second rule with 50 users at once: passive replies vs customer-service fallbacks.
# 2 replicas against 1 replica in alternating ~12 s windows on the same minutes (bench/ratio.py).
bench-ratio: model services
	$(BIN)/python bench/ratio.py

bench-wechat: model
	$(BIN)/python bench/wechat_load.py --safe

# The production-like layout on this machine (bot/scaled.py): REPLICAS Rasa processes and action
# servers behind nginx, atomic Redis lock store, trackers and cases on PostgreSQL, all on
# 127.0.0.1; nginx/PostgreSQL/Redis from Debian via tests/system/services.sh (as root).
REPLICAS ?= 2
run-scaled: model pages services
	@$(BIN)/python -m bot.scaled --replicas $(REPLICAS)

# Phone and desktop screenshots of the widget for the README (docs/screenshots/).
# Screenshots are written only here (WRITE_SCREENSHOTS=1): the widget, and the staff pages from
# their browser tests (a plain `make test` leaves docs/screenshots alone).
screenshots: model pages services
	source var/test-services.env && $(BIN)/python -m tests.screenshots docs/screenshots
	source var/test-services.env && WRITE_SCREENSHOTS=1 $(BIN)/python -m pytest -q \
	  tests/test_staff_browser.py tests/test_handoff_widget.py tests/test_notice_widget.py

clean:
	rm -rf $(VENV) models results var .pytest_cache $(PAGES)/node_modules $(PAGES)/dist
