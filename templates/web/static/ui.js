// Progressive enhancement only: every page works without this file.
// 1. "Select all" checkboxes for the bulk actions on held messages.
// 2. Buttons are disabled once their form is submitted, so a double click never decides twice.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-select-all]").forEach(function (master) {
    var name = master.getAttribute("data-select-all");
    master.addEventListener("change", function () {
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
        box.checked = master.checked;
      });
    });
  });
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        // After this tick: the browser has already taken the pressed button's value.
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
        document.querySelectorAll('button[form="' + form.id + '"]').forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });
});
