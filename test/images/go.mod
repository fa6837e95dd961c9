// Test programs packaged into localhost/berth-test/* images by
// scripts/build-test-images.sh. A module of its own so that the images build
// even while the main module is being edited; standard library only.
module berth.test/images

go 1.21
