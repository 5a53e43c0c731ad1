// Account look-up as you type: picking a result fills the hidden id and tells the page.
document.addEventListener("click", function (event) {
  var pick = event.target.closest("[data-pick-id]");
  if (!pick) return;
  var box = pick.closest("[data-lookup]");
  box.querySelector("[data-lookup-id]").value = pick.dataset.pickId;
  var input = box.querySelector("input[type=search]");
  input.value = pick.dataset.pickLabel;
  input.classList.remove("is-invalid");
  box.querySelector(".lookup-results").innerHTML = "";
  document.body.dispatchEvent(new CustomEvent("account-picked", { detail: { id: pick.dataset.pickId } }));
});
