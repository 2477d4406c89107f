# make            build dist/ (after npm ci)
# make install    install daxplan as a system tool (scripts/install.sh says where)
# make uninstall  remove what make install put there
# make deb        build dist/daxplan_VERSION-1_all.deb (scripts/deb.sh says what it holds)
# Variables: DESTDIR, PREFIX (/usr/local), BINDIR, LIBDIR, MANDIR, BASHCOMPDIR,
# SYSTEMDUNITDIR (/usr/lib/systemd/system), UDEVRULESDIR (/usr/lib/udev/rules.d), DAXPLAN_NODE
# (make deb: DAXPLAN_NODE, DEBFULLNAME, DEBEMAIL, SOURCE_DATE_EPOCH).
export DESTDIR PREFIX BINDIR LIBDIR MANDIR BASHCOMPDIR SYSTEMDUNITDIR UDEVRULESDIR DAXPLAN_NODE DEBFULLNAME DEBEMAIL SOURCE_DATE_EPOCH

all:
	npm run build

install:
	scripts/install.sh

uninstall:
	scripts/install.sh --uninstall

deb: all
	scripts/deb.sh

.PHONY: all install uninstall deb
