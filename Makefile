# Yishi (议事). `make run` serves a demo committee; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
YISHI  := $(VENV)/bin/yishi
DATA   ?= data
PORT   ?= 8443
HTTP_PORT ?= 8080
HOST_IP := $(shell hostname -I 2>/dev/null | cut -d' ' -f1)
URL    ?= https://$(if $(HOST_IP),$(HOST_IP),localhost):$(PORT)
PYTEST_ARGS ?=

.PHONY: run test install system-run system-test catalogs lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

install: system-run $(VENV)/.installed

system-run:
	@tools/ensure-system-packages run

system-test:
	@tools/ensure-system-packages test

run: install
	$(YISHI) demo --data $(DATA)
	$(YISHI) init --data $(DATA) --public-url $(URL) >/dev/null
	$(YISHI) pair --data $(DATA) --passphrase-file $(DATA)/demo-passphrase.txt --url $(URL)
	@echo "Admin: $(URL)/login  (admin / yishi-admin)   Plain HTTP (certificate help): http://$(if $(HOST_IP),$(HOST_IP),localhost):$(HTTP_PORT)/trust"
	$(YISHI) serve --data $(DATA) --passphrase-file $(DATA)/demo-passphrase.txt \
		--host 0.0.0.0 --port $(PORT) --http-port $(HTTP_PORT) $(if $(HOST_IP),--advertise-address $(HOST_IP))

test: system-test install
	$(PY) -m pytest $(PYTEST_ARGS)

# Re-extract every area's strings and recompile the catalogues (then translate the .po files).
catalogs: install
	$(PY) tools/catalog.py core appliance/__init__.py appliance/errors.py appliance/web appliance/store \
		appliance/devices appliance/rules appliance/config.py appliance/i18n.py \
		webui/templates/base.html webui/templates/error.html webui/templates/sealed.html \
		webui/templates/home.html webui/templates/storage_problem.html webui/templates/devices
	$(PY) tools/catalog.py kinds appliance/meetings/sheets.py
	$(PY) tools/catalog.py annotations appliance/documents/annotation_shapes.py appliance/documents/annotations.py \
		appliance/documents/annotations_api.py appliance/documents/annotated_pdf.py
	$(PY) tools/catalog.py opinions appliance/office/opinions.py appliance/office/opinions_api.py \
		appliance/office/opinions_views.py webui/templates/opinions
	$(PY) tools/catalog.py notices appliance/meetings/notices.py appliance/meetings/notices_api.py webui/templates/notices
	$(PY) tools/catalog.py usbexport appliance/usb/export.py
	$(PY) tools/catalog.py usbimport appliance/usb/importer.py
	$(PY) tools/catalog.py backup appliance/usb/backup.py webui/templates/backup
	$(PY) tools/catalog.py usb appliance/usb/door.py appliance/usb/views.py webui/templates/usb
	$(PY) tools/catalog.py clock appliance/timekeeping.py appliance/clock_pages.py webui/templates/clock
	$(PY) tools/catalog.py network appliance/network webui/templates/network

clean:
	rm -rf $(VENV) build *.egg-info test-artifacts

# The SD-card image for Raspberry Pi (docs/image.md). As root; IMAGE_ARGS e.g.
# "--settings provisioning/inventory/group_vars/yishi.yml" or "--test-settings --no-compress".
IMAGE_ARGS ?=
.PHONY: image
image: install
	$(PY) image-build/build.py $(IMAGE_ARGS)

# Benchmarks (issue 6): the real server against 50, 200 and 500 simulated tablets, with the raw
# sqlcipher3 and nginx baselines; ~10 minutes; not part of `make test`. See bench/RESULTS.md.
BENCH_ARGS ?=
.PHONY: bench
bench: install
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	$(PY) -m bench.run $(BENCH_ARGS)
