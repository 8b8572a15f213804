#!/bin/sh
# make check runs the linters as one test: clang-format, cppcheck, clang-tidy.
exec env MAKEFLAGS= make -s -C "$XCH_SRC" --no-print-directory lint \
    BUILD="$XCH_BUILD" SANITIZE="$XCH_SANITIZE"
