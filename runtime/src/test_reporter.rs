//! A test-only offence reporter, compiled only with the runtime feature `test-reporter`, which
//! only the node's tests turn on (as a dev-dependency feature): it lets root report any offence
//! to the slashing pallet, standing in for the adjudicator, gateways, activity proofs and lottery
//! that will report for real. Never part of a production build.

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use keymarket_primitives::{
		slashing::{Offence, OffenceError, ReportOffence},
		Balance,
	};
	use pallet_keymarket_slashing::WeightInfo as _;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Where offences go.
		type Offences: ReportOffence<Self::AccountId, Balance>;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The slashing pallet's reasons for refusing an offence.
	#[pallet::error]
	pub enum Error<T> {
		UnknownOffender,
		Duplicate,
		TooOld,
		InFuture,
		TooManyReporters,
		QueueFull,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Root reports `offence` as a reporting pallet would.
		#[pallet::call_index(0)]
		#[pallet::weight(
			crate::weights::pallet_keymarket_slashing::WeightInfo::<crate::Runtime>::report()
		)]
		pub fn report(
			origin: OriginFor<T>,
			offence: Offence<T::AccountId, Balance>,
		) -> DispatchResult {
			ensure_root(origin)?;
			T::Offences::report(offence).map_err(|e| match e {
				OffenceError::UnknownOffender => Error::<T>::UnknownOffender,
				OffenceError::Duplicate => Error::<T>::Duplicate,
				OffenceError::TooOld => Error::<T>::TooOld,
				OffenceError::InFuture => Error::<T>::InFuture,
				OffenceError::TooManyReporters => Error::<T>::TooManyReporters,
				OffenceError::QueueFull => Error::<T>::QueueFull,
			})?;
			Ok(())
		}
	}
}
