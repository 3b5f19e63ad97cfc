// Swagger UI for the API docs page. The page provides:
//   <div id="swagger-ui" data-schema-url="{% url ... %}"></div>
//   <link rel="stylesheet" href="{% static 'api-docs.css' %}">
//   <script type="module" src="{% static 'api-docs.js' %}"></script>
// swagger-ui-dist's package entry (index.js) is Node-oriented (it requires
// "path"), so import the self-contained bundle file directly.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-es-bundle.js";
import "swagger-ui-dist/swagger-ui.css";

function mount() {
  const el = document.getElementById("swagger-ui");
  if (!el) return;
  window.ui = SwaggerUIBundle({
    url: el.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mount);
} else {
  mount();
}
