//! Real docker-registry instances, umoci images, skopeo pushes and inspections.
