"use strict";
// `node --require <this file>`: resolve `*.localhost` names for the whole process (see localhost-names.cjs).
require("./localhost-names.cjs").install();
